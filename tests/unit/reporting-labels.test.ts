import { describe, expect, it } from "vitest";
import { periodShort, periodTitle, submissionEventLabel, submissionStatusLabel } from "../../src/reporting/labels.js";

describe("the admin pages speak of reports in Vietnamese, not in system codes", () => {
  it("every submission status has a Vietnamese label", () => {
    expect(["in_progress", "submitted", "returned", "approved"].map((s) => submissionStatusLabel(s as "submitted"))).toEqual([
      "Đang làm",
      "Đã nộp",
      "Đã trả lại",
      "Đã duyệt",
    ]);
  });
  it("every history event has a Vietnamese label", () => {
    expect(["submitted", "returned", "approved", "reopened"].map((k) => submissionEventLabel(k as "submitted"))).toEqual([
      "Đã nộp",
      "Đã trả lại",
      "Đã duyệt",
      "Mở lại để sửa",
    ]);
  });
  it("a period's title starts with a capital letter", () => {
    expect(periodTitle("2026-Y")).toBe("Báo cáo năm 2026");
    expect(periodTitle("2026-H1")).toBe("Báo cáo 6 tháng đầu năm 2026");
    expect(periodTitle("2026-Q2")).toBe("Báo cáo quý 2/2026");
  });
  it("the trend chart's axis names periods in words, not keys", () => {
    expect(["2025-H1", "2025-H2", "2025-Y", "2026-Q3", "2026-M04", "2026-X"].map(periodShort)).toEqual([
      "6 tháng đầu 2025",
      "6 tháng cuối 2025",
      "Năm 2025",
      "Quý 3/2026",
      "Tháng 4/2026",
      "Kỳ 2026-X",
    ]);
  });
});
