import { DEMO_SCHEME, type Unit } from "./units.js";

/** A demo account: flagged as one, or filed in the demo tree (src/demo/ builds that world). */
export function isDemoAccount(officer: { demo: boolean }, own: Pick<Unit, "scheme">): boolean {
  return officer.demo || own.scheme === DEMO_SCHEME;
}

/** Why a demo account may not change a setting every official unit shares, in Vietnamese. */
export const demoRefusal = (what: string) =>
  `Tài khoản mẫu không được thay đổi cấu hình chung: ${what} áp dụng cho mọi đơn vị thật. Anh/chị chỉ thử được trong Tỉnh Mẫu (dữ liệu thử).`;
