import type { RecipientStatus } from "./broadcasts.js";

/** Where a directive stands for one recipient, as the pages and the exported list say it. */
export const RECIPIENT_STATUS_LABELS: Record<RecipientStatus, string> = {
  pending: "Chờ gửi",
  queued: "Đang gửi",
  sent: "Đã gửi",
  failed: "Gửi lỗi",
  unreachable: "Không liên lạc được",
  outside_window: "Ngoài khung Zalo",
  acknowledged: "Đã xác nhận",
};

const CHANNEL_LABELS: Record<string, string> = { telegram: "Telegram", zalo_bot: "Zalo", zalo_oa: "Zalo OA", simulator: "Mô phỏng" };

/** A chat channel by its product name ("Zalo OA"), never its code ("zalo_oa"); none → "—". */
export const channelLabel = (channel: string | null | undefined): string => (channel ? (CHANNEL_LABELS[channel] ?? channel) : "—");

/** The start of a directive for a list: up to 80 characters, "…" when cut. */
export const excerpt = (text: string, max = 80): string => (text.length > max ? `${text.slice(0, max)}…` : text);
