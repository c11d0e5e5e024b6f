import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { and, count, eq, isNull, sql } from "drizzle-orm";
import { officers, units } from "../../db/schema/index.js";
import { moveOfficersToNewUnits, pendingReformMoves } from "../../directory/officer-actions.js";
import { importUnitFile, MAX_UNIT_FILE_BYTES } from "../../directory/unit-actions.js";
import { ancestorsOf, DEMO_SCHEME, nationalRoot, rootDepth, type ReportRoot, type Scheme, type Unit } from "../../directory/units.js";
import type { ServiceContext } from "../../directory/actor.js";
import { demoRefusal, isDemoAccount } from "../../directory/demo-accounts.js";
import { AppError } from "../../domain/app-error.js";
import { belowScopeSql, contains } from "../../domain/scope.js";
import { AdminLayout } from "./admin-layout.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";
import type { Supervisor } from "./kit.js";
import { orRefused, refusedPage } from "./refused.js";

const LEVEL_LABEL = { province: "Tỉnh/thành phố", district: "Huyện", commune: "Xã/phường" } as const;
const TREE_NOTE = (scheme: string) =>
  scheme === "pre2025" ? "trước 01/7/2025" : scheme === DEMO_SCHEME ? "dữ liệu thử, không phải đơn vị thật" : "từ 01/7/2025";

/**
 * The unit tree (đơn vị hành chính): browse it, import the official lists, and apply the
 * 1/7/2025 reform to officers — each officer on a pre-2025 commune moves to the new commune it
 * merged into. Their past submissions keep pointing at the old unit (its history); what they file
 * from then on belongs to the new one. An admin starts at the whole country ("Toàn quốc").
 */
export function mountUnitPages(deps: AdminPageDeps) {
  const { db, kit, sessions } = deps;
  const ctxOf = (s: Supervisor): ServiceContext => ({ actor: s.actor, db, clock: deps.clock });
  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, sessions));

  /** The unit asked for, in the signed-in scope: the country of the tree for an admin who asks for none. */
  async function unitAsked(s: Supervisor, code: string | undefined): Promise<ReportRoot> {
    if (s.scope.path === "") {
      if (!code) return nationalRoot(s.scope.scheme as Scheme);
      const [u] = await db
        .select()
        .from(units)
        .where(and(eq(units.scheme, s.scope.scheme as Scheme), eq(units.code, code)));
      if (u && contains(s.scope, u)) return u;
      throw new AppError("not_found", "Không tìm thấy đơn vị.");
    }
    const u = await kit.unitBelow(s, code);
    if (!u) throw new AppError("not_found", "Không tìm thấy đơn vị.");
    return u;
  }

  web.get("/", async (c) => {
    const s = c.var.supervisor;
    const unit = await unitAsked(s, c.req.query("code"));
    const country = unit.level === "country";
    const trail: ReportRoot[] = [
      ...(s.scope.path === "" ? [nationalRoot(unit.scheme as Scheme)] : []),
      ...(country ? [] : (await ancestorsOf(db, unit as Unit)).filter((u) => contains(s.scope, u))),
    ];
    const children = await db
      .select({ code: units.code, name: units.name, level: units.level, validTo: units.validTo })
      .from(units)
      .where(and(eq(units.scheme, unit.scheme), country ? isNull(units.parentCode) : eq(units.parentCode, unit.code)))
      .orderBy(units.code);
    const below = await db
      .select({ code: sql<string>`split_part(${units.path}, '.', ${rootDepth(unit) + 1})`, officers: count(officers.id) })
      .from(units)
      .leftJoin(officers, and(eq(officers.unitId, units.id), eq(officers.active, true)))
      .where(belowScopeSql(unit, units))
      .groupBy(sql`1`);
    const moves = await pendingReformMoves(ctxOf(s));
    const admin = s.officer.role === "admin";
    const demo = isDemoAccount(s.officer, s.own);
    return c.html(
      <AdminLayout title="Đơn vị hành chính" supervisor={s} flash={c.var.flash}>
        <p>
          {trail.map((u, i) => (
            <>
              {i > 0 ? " › " : ""}
              {u.code === unit.code ? <b>{u.name}</b> : <a href={u.level === "country" ? "/units" : `/units?code=${encodeURIComponent(u.code)}`}>{u.name}</a>}
            </>
          ))}{" "}
          <span class="note">({TREE_NOTE(unit.scheme)})</span>
        </p>
        <table>
          <thead>
            <tr>
              <th>Mã</th>
              <th>Tên</th>
              <th>Cấp</th>
              <th>Cán bộ</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {children.length === 0 ? (
              <tr>
                <td colspan={5}>Không có đơn vị trực thuộc.</td>
              </tr>
            ) : (
              children.map((ch) => (
                <tr>
                  <td>{ch.code}</td>
                  <td>{ch.level === "commune" ? ch.name : <a href={`/units?code=${encodeURIComponent(ch.code)}`}>{ch.name}</a>}</td>
                  <td>{LEVEL_LABEL[ch.level]}</td>
                  <td>{below.find((b) => b.code === ch.code)?.officers ?? 0}</td>
                  <td>{ch.validTo ? `đến ${ch.validTo}` : ""}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
        <h2>Chuyển cán bộ sang đơn vị mới (sắp xếp 01/7/2025)</h2>
        <p>{moves.length ? <a href="/units/mapping">{moves.length} cán bộ còn ở xã cũ — xem và chuyển</a> : "Không còn cán bộ nào ở đơn vị cũ."}</p>
        {admin && !demo ? (
          <>
            <h2>Nhập danh mục đơn vị</h2>
            <form method="post" action="/units/import" enctype="multipart/form-data">
              <p>
                <label>
                  Tệp CSV (danh mục: code,name,level,parent_code; hoặc bảng chuyển đổi old_code,new_code…)
                  <br />
                  <input type="file" name="file" accept=".csv,.xlsx" required />
                </label>
              </p>
              <p>
                <label>
                  Hệ mã{" "}
                  <select name="scheme">
                    <option value="post2025">Từ 01/7/2025</option>
                    <option value="pre2025">Trước 01/7/2025</option>
                  </select>
                </label>
              </p>
              <button>Nhập</button>
            </form>
          </>
        ) : (
          <p class="note">{demo ? demoRefusal("danh mục đơn vị") : "Danh mục đơn vị do quản trị viên cập nhật."}</p>
        )}
      </AdminLayout>,
    );
  });

  web.post("/import", bodyLimit({ maxSize: MAX_UNIT_FILE_BYTES, onError: (c) => refusedPage(c, "Tệp quá lớn: tối đa 20 MB.") }), async (c) => {
    const s = c.var.supervisor;
    // The unit lists are national (GSO): only admins change them; to anyone else the page does not exist.
    if (s.officer.role !== "admin") throw new AppError("not_found", "Không tìm thấy trang.");
    if (isDemoAccount(s.officer, s.own)) return refusedPage(c, demoRefusal("danh mục đơn vị hành chính"));
    const form = await c.req.parseBody();
    const file = form.file;
    if (!(file instanceof File) || file.size === 0) return refusedPage(c, "Chưa chọn tệp.");
    const report = await orRefused(c, async () =>
      importUnitFile(ctxOf(s), { content: Buffer.from(await file.arrayBuffer()), fileName: file.name, scheme: form.scheme }),
    );
    if (report instanceof Response) return report;
    return c.html(
      <AdminLayout
        title="Kết quả nhập danh mục"
        supervisor={s}
        flash={{ text: `Đã nhập ${report.imported} dòng danh mục đơn vị${report.rejected.length ? `; bỏ qua ${report.rejected.length} dòng lỗi` : ""}.` }}
      >
        <p id="summary">
          Đã nhập <b>{report.imported}</b> dòng; <b>{report.rejected.length}</b> dòng lỗi được bỏ qua.
        </p>
        {report.rejected.length ? (
          <table>
            <thead>
              <tr>
                <th>Dòng</th>
                <th>Lý do</th>
              </tr>
            </thead>
            <tbody>
              {report.rejected.slice(0, 500).map((r) => (
                <tr>
                  <td>{r.line}</td>
                  <td>{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <p>
          <a href="/units">← Đơn vị</a>
        </p>
      </AdminLayout>,
    );
  });

  web.get("/mapping", async (c) => {
    const s = c.var.supervisor;
    const moves = await pendingReformMoves(ctxOf(s));
    return c.html(
      <AdminLayout title="Chuyển cán bộ sang đơn vị mới" supervisor={s} flash={c.var.flash}>
        <p>Báo cáo đã nộp vẫn gắn với xã cũ (lịch sử); báo cáo từ nay thuộc xã mới.</p>
        {moves.length ? (
          <form method="post" action="/units/mapping">
            <table>
              <thead>
                <tr>
                  <th></th>
                  <th>Cán bộ</th>
                  <th>Xã cũ</th>
                  <th>Xã mới</th>
                </tr>
              </thead>
              <tbody>
                {moves.map((m) => (
                  <tr>
                    <td>
                      <input type="checkbox" name="move" value={String(m.officerId)} checked />
                    </td>
                    <td>{m.officer}</td>
                    <td>
                      {m.oldUnit} ({m.oldCode})
                    </td>
                    <td>
                      {m.targets.length === 1 ? (
                        <>
                          {m.targets[0]!.name} ({m.targets[0]!.code})
                          <input type="hidden" name={`to_${m.officerId}`} value={m.targets[0]!.code} />
                        </>
                      ) : (
                        <>
                          <select name={`to_${m.officerId}`}>
                            {m.targets.map((t) => (
                              <option value={t.code}>
                                {t.name} ({t.code})
                              </option>
                            ))}
                          </select>{" "}
                          <span class="note">xã cũ được chia, chọn nơi cán bộ làm việc</span>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>
              <button>Chuyển {moves.length} cán bộ đã chọn</button>
            </p>
          </form>
        ) : (
          <p>Không còn cán bộ nào ở đơn vị cũ.</p>
        )}
        <p>
          <a href="/units">← Đơn vị</a>
        </p>
      </AdminLayout>,
    );
  });

  web.post("/mapping", async (c) => {
    const s = c.var.supervisor;
    const form = await c.req.parseBody({ all: true });
    const chosen = ([] as unknown[])
      .concat(form.move ?? [])
      .map(Number)
      .filter((id) => Number.isInteger(id) && id > 0);
    const to = (id: number) => {
      const v = form[`to_${id}`];
      return typeof v === "string" ? v : undefined;
    };
    const { moved } = await moveOfficersToNewUnits(ctxOf(s), { moves: chosen.map((officerId) => ({ officerId, toCode: to(officerId) })) });
    return c.html(
      <AdminLayout title="Đã chuyển cán bộ" supervisor={s} flash={{ text: `Đã chuyển ${moved} cán bộ sang đơn vị mới.` }}>
        <p id="summary">
          Đã chuyển <b>{moved}</b> cán bộ sang đơn vị mới.
        </p>
        <p>
          <a href="/units/mapping">← Còn lại</a> · <a href="/officers">Cán bộ</a>
        </p>
      </AdminLayout>,
    );
  });

  return (app: OpenAPIHono) => {
    app.route("/units", web);
  };
}
