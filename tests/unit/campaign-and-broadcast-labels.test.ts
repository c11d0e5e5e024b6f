import { describe, expect, it } from "vitest";
import { channelLabel, excerpt, RECIPIENT_STATUS_LABELS } from "../../src/broadcasts/labels.js";
import { themesAfter } from "../../src/campaigns/campaign-themes.js";
import { audienceLabel, campaignKeyOf, campaignStatusLabel, weekdayName } from "../../src/campaigns/labels.js";
import { nextSend } from "../../src/campaigns/schedule.js";
import { parseStepForm, readStepForm, stepFormOf, EMPTY_STEP_FORM } from "../../src/campaigns/step-form.js";

describe("a district officer reads campaigns and directives in words, not codes", () => {
  it("names a campaign's audience by unit name and Vietnamese roles", () => {
    expect(audienceLabel({ rootCode: "12", roles: ["commune", "province"] }, "Tỉnh Lai Châu")).toBe("Tỉnh Lai Châu — Cán bộ xã, Cấp tỉnh");
    expect(audienceLabel({}, undefined)).toBe("Toàn quốc — mọi cán bộ");
    expect(audienceLabel({ rootCode: "106", roles: [] }, undefined)).toBe("Đơn vị mã 106 — mọi cán bộ");
  });

  it("says whether a campaign runs", () => {
    expect(campaignStatusLabel(true)).toBe("Đang chạy");
    expect(campaignStatusLabel(false)).toBe("Tạm dừng");
  });

  it("gives every recipient status and channel a Vietnamese or product name", () => {
    for (const label of Object.values(RECIPIENT_STATUS_LABELS)) expect(label).not.toMatch(/^[a-z_]+$/);
    expect(channelLabel("zalo_oa")).toBe("Zalo OA");
    expect(channelLabel("telegram")).toBe("Telegram");
    expect(channelLabel(null)).toBe("—");
  });

  it("cuts a long directive for the list at 80 characters", () => {
    expect(excerpt("ngắn")).toBe("ngắn");
    expect(excerpt("a".repeat(81))).toBe(`${"a".repeat(80)}…`);
  });

  it("makes ASCII keys from Vietnamese campaign names", () => {
    expect(campaignKeyOf("Tết an toàn cho trẻ em Lai Châu")).toBe("tet-an-toan-cho-tre-em-lai-chau");
    expect(campaignKeyOf("!!!")).toBe("chien-dich");
  });

  it("names weekdays and finds the next send date", () => {
    expect(weekdayName("2026-09-25")).toBe("Thứ sáu");
    expect(nextSend([{ rule: { kind: "solar", day: 1, month: 6 }, sendAt: "08:00" }], "2026-06-02")).toEqual({ date: "2027-06-01", sendAt: "08:00" });
  });

  it("keeps themes as typed, spaces collapsed, an emptied year removed", () => {
    expect(themesAfter({ "2025": "Cũ", "2026": "Giữ" }, { "2025": "  ", "2027": " Trẻ  em  an toàn " })).toEqual({ "2026": "Giữ", "2027": "Trẻ em an toàn" });
  });

  it("reads a step form back as it was typed and refuses impossible dates in Vietnamese", () => {
    const form = readStepForm({ kind: "solar", day: "31", month: "2", sendAt: "8:00", text: "x" });
    expect(parseStepForm(form)).toEqual({ ok: false, errors: ["Tháng 2 không có ngày 31."] });
    expect(parseStepForm({ ...form, day: "1", month: "3" })).toEqual({ ok: true, rule: { kind: "solar", day: 1, month: 3 }, sendAt: "08:00", text: "x" });
    expect(stepFormOf({ rule: { kind: "lunar", day: 23, month: 12 }, sendAt: "07:30", text: "t" })).toEqual({
      ...EMPTY_STEP_FORM,
      kind: "lunar",
      day: "23",
      month: "12",
      sendAt: "07:30",
      text: "t",
    });
  });
});
