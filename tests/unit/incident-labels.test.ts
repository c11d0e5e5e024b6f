import { describe, expect, it } from "vitest";
import { childLine, eventText } from "../../src/http/admin/incidents-inbox.js";
import { detailQuestions, INCIDENT_FIELD_LABELS } from "../../src/incidents/incident-flow.js";
import { timeLeft } from "../../src/incidents/incident-clocks.js";

describe("an urgent case page in words", () => {
  it("the timeline names the detail a reporter added by its question, not its field id", () => {
    for (const q of detailQuestions("xam_hai_tinh_duc")) expect(INCIDENT_FIELD_LABELS[q.id], q.id).toBeDefined();
    expect(eventText("updated", { field: "child_age" })).toEqual({ label: "Bổ sung thông tin", extra: " (Tuổi của trẻ)" });
    expect(eventText("updated", { field: "actions" }).extra).toBe(" (Đã làm gì)");
    expect(eventText("note", { text: "Đã xác minh" })).toEqual({ label: "Ghi chú", extra: ": Đã xác minh" });
    expect(eventText("escalated", { level: 2 }).extra).toBe(" (lần 2)");
  });

  it("what is not known of the child is left out, not shown as '?'", () => {
    expect(childLine(9, "nu")).toBe("9 tuổi, nữ");
    expect(childLine(null, "nam")).toBe("nam");
    expect(childLine(0, null)).toBe("0 tuổi");
    expect(childLine(null, null)).toBeUndefined();
  });

  it("time left on a legal clock reads in hours and minutes, days past two days, overdue when run out", () => {
    const now = new Date("2026-06-13T04:00:00Z");
    expect(timeLeft(new Date("2026-06-13T13:00:00Z"), now).text).toBe("còn 9 giờ 0 phút");
    expect(timeLeft(new Date("2026-06-16T04:00:00Z"), now).text).toBe("còn 3 ngày");
    expect(timeLeft(new Date("2026-06-13T03:20:00Z"), now)).toMatchObject({ text: "quá hạn 40 phút", overdue: true });
  });
});
