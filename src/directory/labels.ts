import type { OfficerRole } from "../db/schema/index.js";
import type { UnitLevel } from "./units.js";

/** A role as a sentence names it ("vai trò cán bộ huyện …"): the import's reasons, never the code. */
export const ROLE_NAMES: Record<OfficerRole, string> = { commune: "cán bộ xã", district: "cán bộ huyện", province: "cán bộ tỉnh", admin: "quản trị viên" };

/** A role in a table cell or a checkbox ("Cán bộ xã", "Cấp huyện"). */
export const ROLE_LABELS: Record<OfficerRole, string> = { commune: "Cán bộ xã", district: "Cấp huyện", province: "Cấp tỉnh", admin: "Quản trị" };

/** A unit level in a sentence ("đơn vị cấp xã"). */
export const LEVEL_NAMES: Record<UnitLevel, string> = { province: "tỉnh", district: "huyện", commune: "xã" };
