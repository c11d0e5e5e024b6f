import { describe, expect, it } from "vitest";
import { inheritanceText, orderRuleText } from "../../src/reporting/calendar-wording.js";
import { levelsOfScheme } from "../../src/reporting/deadline-rules.js";

describe("the calendars page speaks of districts only where the tree has them", () => {
  it("before the reform: commune before district before province, a district's calendar first", () => {
    expect(orderRuleText(levelsOfScheme("pre2025"))).toBe("hạn của xã phải trước hạn của huyện, hạn của huyện trước hạn của tỉnh");
    expect(inheritanceText(levelsOfScheme("pre2025"))).toBe("huyện, rồi tỉnh");
  });

  it("after 1/7/2025 there is no huyện: commune before province, the province's calendar", () => {
    expect(orderRuleText(levelsOfScheme("post2025"))).toBe("hạn của xã phải trước hạn của tỉnh");
    expect(inheritanceText(levelsOfScheme("post2025"))).toBe("tỉnh");
    expect(orderRuleText(levelsOfScheme("post2025"))).not.toContain("huyện");
  });
});
