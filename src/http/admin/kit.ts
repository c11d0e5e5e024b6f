import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { contains, inScopeSql, type Placed, type Scope } from "../../domain/scope.js";
import { officerActor, type Actor } from "../../directory/actor.js";
import type { Db, DbOrTx } from "../../db/client.js";
import { auditLog, units } from "../../db/schema/index.js";
import type { Officer } from "../../directory/officers.js";
import type { Unit } from "../../directory/units.js";
import { esc, page } from "../html.js";
import type { Sessions } from "../sessions.js";

/** A signed-in officer who supervises a subtree (district, province or admin), with their unit and scope. */
export interface Supervisor {
  officer: Officer;
  own: Unit;
  /** The same officer as use cases take it (src/directory/actor.ts). */
  actor: Actor;
  /** Their unit's subtree; the whole country of the tree for an admin. */
  scope: Scope;
}

const NAV: [string, string][] = [
  ["/dashboard", "Tổng quan"],
  ["/broadcasts", "Văn bản chỉ đạo"],
  ["/campaigns", "Chiến dịch"],
  ["/incidents", "Báo cáo khẩn"],
  ["/officers", "Cán bộ"],
  ["/units", "Đơn vị"],
  ["/calendars", "Lịch báo cáo"],
  ["/audit", "Nhật ký"],
];

/** The admin web's menu, on every page a supervisor sees. */
export const adminNav = () => `<nav class="note" aria-label="Chức năng">${NAV.map(([href, label]) => `<a href="${href}">${esc(label)}</a>`).join(" · ")}</nav>`;

/** A page of the admin web: navigation, who is signed in, sign-out. */
export function adminPage(title: string, s: Supervisor, body: string): string {
  return page(
    title,
    `${adminNav()}
<header><h1>${esc(title)}</h1><span class="note">${esc(s.officer.name)} — ${esc(s.own.name)} <form method="post" action="/logout" class="inline"><button>Đăng xuất</button></form></span></header>
${body}`,
  );
}

export const notFoundPage = (c: Context) => c.html(page("Không tìm thấy", "<h1>Không tìm thấy</h1><p><a href=\"/dashboard\">← Tổng quan</a></p>"), 404);
export const refusedPage = (c: Context, why: string) => c.html(page("Không thực hiện được", `<h1>Không thực hiện được</h1><p>${esc(why)}</p><p><a href="/dashboard">← Tổng quan</a></p>`), 400);

/** True when `unit` is `root` or below it (the one rule: src/domain/scope.ts). */
export const inSubtree = contains;

/** SQL: the `units` row is in `root`'s subtree (src/domain/scope.ts). */
export const underRoot = (root: Placed) => inScopeSql(root, units);

export function createAdminKit(deps: { db: Db; sessions: Sessions }) {
  const { db } = deps;

  /**
   * The officer behind the request when they supervise a subtree; otherwise the response to
   * send (sign-in redirect, or 404 for a commune officer — the pages do not exist for them).
   */
  async function supervisor(c: Context): Promise<Supervisor | Response> {
    const officer = await deps.sessions.officer(c);
    if (!officer) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
    if (officer.role === "commune") return notFoundPage(c);
    const [own] = await db.select().from(units).where(eq(units.id, officer.unitId));
    if (!own) return notFoundPage(c);
    const actor = officerActor(officer, own);
    return { officer, own, actor, scope: actor.scope };
  }

  /** The unit with this code in the signed-in subtree (own scheme), or undefined. */
  async function unitBelow(s: Supervisor, code: string | undefined): Promise<Unit | undefined> {
    if (!code) return s.own;
    const [u] = await db.select().from(units).where(and(eq(units.scheme, s.own.scheme), eq(units.code, code)));
    return u && inSubtree(s.own, u) ? u : undefined;
  }

  async function audit(tx: DbOrTx, s: Supervisor, action: string, target: string, detail: Record<string, unknown> = {}) {
    await tx.insert(auditLog).values({ actor: `officer:${s.officer.id}`, action, target, detail });
  }

  return { supervisor, unitBelow, audit };
}

export type AdminKit = ReturnType<typeof createAdminKit>;

/** Options for a unit <select>: the root and its subtree, indented by level. */
export async function unitOptions(db: DbOrTx, root: Unit, selected?: string, maxLevel: "district" | "commune" = "commune"): Promise<string> {
  const rows = await db
    .select({ code: units.code, name: units.name, level: units.level, path: units.path })
    .from(units)
    .where(underRoot(root))
    .orderBy(units.path);
  const indent = { province: "", district: "— ", commune: "—— " } as const;
  return rows
    .filter((u) => maxLevel === "commune" || u.level !== "commune")
    .map((u) => `<option value="${esc(u.code)}"${u.code === selected ? " selected" : ""}>${indent[u.level]}${esc(u.name)} (${esc(u.code)})</option>`)
    .join("");
}
