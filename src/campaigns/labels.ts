import type { Audience } from "../delivery/audience.js";
import type { StepRule } from "../domain/campaign-dates.js";
import { ROLE_LABELS } from "../directory/labels.js";
import { fold } from "../domain/text.js";

export const WEEKDAYS = ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"];

/** The kinds of date a step can follow, as the step form offers them. */
export const RULE_KIND_LABELS: Record<StepRule["kind"], string> = {
  solar: "Dương lịch",
  lunar: "Âm lịch",
  relative: "Trước/sau một ngày (dương hoặc âm lịch)",
  "last-weekday": "Thứ … cuối cùng của tháng",
  weekly: "Hằng tuần trong khoảng",
};

/** A campaign's state in words ("Đang chạy", "Tạm dừng"), never `active = false`. */
export const campaignStatusLabel = (active: boolean): string => (active ? "Đang chạy" : "Tạm dừng");

/** Who a campaign goes to: "Tỉnh Lai Châu — Cán bộ xã, Cấp tỉnh", "Toàn quốc — mọi cán bộ"; the unit's name, not its code, when known. */
export function audienceLabel(audience: Pick<Audience, "rootCode" | "roles">, rootName: string | undefined): string {
  const where = audience.rootCode === undefined ? "Toàn quốc" : (rootName ?? `Đơn vị mã ${audience.rootCode}`);
  const roles = audience.roles?.length ? audience.roles.map((r) => ROLE_LABELS[r]).join(", ") : "mọi cán bộ";
  return `${where} — ${roles}`;
}

/** The weekday of a yyyy-mm-dd ("Thứ sáu"). */
export const weekdayName = (date: string): string => WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;

/** "Ong Cong ong Tao" → "ong-cong-ong-tao": campaign keys are stable ASCII identifiers. */
export function campaignKeyOf(name: string): string {
  return (
    fold(name)
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60)
      .replace(/-+$/, "") || "chien-dich"
  );
}
