import { periodLabel } from "../domain/periods.js";

/** A submission's state as an officer says it (the page's "Trạng thái", the dashboard). */
const STATUS: Record<"in_progress" | "submitted" | "returned" | "approved", string> = {
  in_progress: "Đang làm",
  submitted: "Đã nộp",
  returned: "Đã trả lại",
  approved: "Đã duyệt",
};

/** What happened to a submission, one line of its history ("Đã nộp (Lò Văn Sáng)"). */
const EVENT: Record<"submitted" | "returned" | "approved" | "reopened", string> = {
  submitted: "Đã nộp",
  returned: "Đã trả lại",
  approved: "Đã duyệt",
  reopened: "Mở lại để sửa",
};

export const submissionStatusLabel = (status: keyof typeof STATUS): string => STATUS[status];
export const submissionEventLabel = (kind: keyof typeof EVENT): string => EVENT[kind];

/** A period as a title: "Báo cáo 6 tháng đầu năm 2026" (periodLabel is the in-sentence form). */
export function periodTitle(key: string): string {
  const label = periodLabel(key);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** A period in a few words, for a chart's axis: "6 tháng đầu 2025", "Năm 2025", "Quý 2/2026". */
export function periodShort(key: string): string {
  const [year, slot = ""] = key.split("-");
  if (slot === "H1") return `6 tháng đầu ${year}`;
  if (slot === "H2") return `6 tháng cuối ${year}`;
  if (slot === "Y") return `Năm ${year}`;
  if (/^Q\d$/.test(slot)) return `Quý ${slot.slice(1)}/${year}`;
  if (/^M\d\d?$/.test(slot)) return `Tháng ${Number(slot.slice(1))}/${year}`;
  return `Kỳ ${key}`;
}
