import type { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { officers, unitMappings, units } from "../../db/schema/index.js";
import { ancestorsOf, createUnitDirectory, DEMO_SCHEME, ImportFileError, type Scheme, type Unit } from "../../directory/units.js";
import { demoRefusal, isDemoAccount } from "../../demo/demo-world.js";
import { esc } from "../html.js";
import { adminPage, inSubtree, notFoundPage, refusedPage, underRoot, type Supervisor } from "./kit.js";
import type { AdminPageDeps } from "./deps.js";

const LEVEL_LABEL = { province: "Tỉnh/thành phố", district: "Huyện", commune: "Xã/phường" } as const;

/** An officer on a pre-2025 commune and where the reform sends them. */
interface Move {
  officerId: number;
  officer: string;
  oldUnit: string;
  oldCode: string;
  /** New communes the old one went into (several when it was split). */
  targets: { code: string; name: string; coverage: string }[];
}

/**
 * The unit tree (đơn vị hành chính): browse it, import the official lists, and apply the
 * 1/7/2025 reform to officers — each officer on a pre-2025 commune moves to the new commune it
 * merged into. Their past submissions keep pointing at the old unit (its history); what they file
 * from then on belongs to the new one.
 */
export function mountUnitPages(deps: AdminPageDeps) {
  const { db, kit } = deps;
  const directory = createUnitDirectory({ db });

  /**
   * Officers still on pre-2025 communes that the signed-in officer looks after: below them in the
   * old tree, or moving into their subtree of the new one.
   */
  async function pendingMoves(s: Supervisor): Promise<Move[]> {
    const rows = await db
      .select({ officerId: officers.id, officer: officers.name, oldUnit: units.name, oldCode: units.code, oldPath: units.path, newCode: unitMappings.newCode, newName: unitMappings.newName, coverage: unitMappings.coverage })
      .from(officers)
      .innerJoin(units, eq(units.id, officers.unitId))
      .innerJoin(unitMappings, eq(unitMappings.oldCode, units.code))
      .where(and(eq(units.scheme, "pre2025"), eq(units.level, "commune"), eq(officers.active, true)))
      .orderBy(units.path, officers.name);
    const newUnits = await db.select().from(units).where(and(eq(units.scheme, "post2025"), inArray(units.code, [...new Set(rows.map((r) => r.newCode))].concat("-"))));
    const moves = new Map<number, Move>();
    for (const r of rows) {
      const target = newUnits.find((u) => u.code === r.newCode);
      if (!target) continue;
      const mine = s.own.scheme === "pre2025" ? inSubtree(s.own, { scheme: "pre2025", path: r.oldPath }) : inSubtree(s.own, target);
      if (!mine) continue;
      const m = moves.get(r.officerId) ?? { officerId: r.officerId, officer: r.officer, oldUnit: r.oldUnit, oldCode: r.oldCode, targets: [] };
      m.targets.push({ code: r.newCode, name: r.newName, coverage: r.coverage });
      moves.set(r.officerId, m);
    }
    return [...moves.values()];
  }

  return (app: OpenAPIHono) => {
    app.get("/units", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const unit = await kit.unitBelow(s, c.req.query("code"));
      if (!unit) return notFoundPage(c);
      const trail = (await ancestorsOf(db, unit)).filter((u) => inSubtree(s.own, u));
      const children = await db
        .select({ code: units.code, name: units.name, level: units.level, validTo: units.validTo })
        .from(units)
        .where(and(eq(units.scheme, unit.scheme), eq(units.parentCode, unit.code)))
        .orderBy(units.code);
      const below = await db
        .select({ code: sql<string>`split_part(${units.path}, '.', ${unit.path.split(".").length + 1})`, officers: count(officers.id) })
        .from(units)
        .leftJoin(officers, and(eq(officers.unitId, units.id), eq(officers.active, true)))
        .where(and(underRoot(unit), sql`${units.path} <> ${unit.path}`))
        .groupBy(sql`1`);
      const rows = children
        .map((ch) => `<tr><td>${esc(ch.code)}</td><td>${ch.level === "commune" ? esc(ch.name) : `<a href="/units?code=${esc(ch.code)}">${esc(ch.name)}</a>`}</td><td>${esc(LEVEL_LABEL[ch.level])}</td><td>${below.find((b) => b.code === ch.code)?.officers ?? 0}</td><td>${ch.validTo ? `đến ${esc(ch.validTo)}` : ""}</td></tr>`)
        .join("");
      const moves = await pendingMoves(s);
      const admin = s.officer.role === "admin";
      const demo = isDemoAccount(s.officer, s.own);
      return c.html(
        adminPage(
          "Đơn vị hành chính",
          s,
          `<p>${trail.map((u) => (u.id === unit.id ? `<b>${esc(u.name)}</b>` : `<a href="/units?code=${esc(u.code)}">${esc(u.name)}</a>`)).join(" › ")} <span class="note">(${unit.scheme === "pre2025" ? "trước 01/7/2025" : unit.scheme === DEMO_SCHEME ? "dữ liệu thử, không phải đơn vị thật" : "từ 01/7/2025"})</span></p>
<table><thead><tr><th>Mã</th><th>Tên</th><th>Cấp</th><th>Cán bộ</th><th></th></tr></thead><tbody>${rows || `<tr><td colspan="5">Không có đơn vị trực thuộc.</td></tr>`}</tbody></table>
<h2>Chuyển cán bộ sang đơn vị mới (sắp xếp 01/7/2025)</h2>
<p>${moves.length ? `<a href="/units/mapping">${moves.length} cán bộ còn ở xã cũ — xem và chuyển</a>` : "Không còn cán bộ nào ở đơn vị cũ."}</p>
${
  admin && !demo
    ? `<h2>Nhập danh mục đơn vị</h2><form method="post" action="/units/import" enctype="multipart/form-data">
<p><label>Tệp CSV (danh mục: code,name,level,parent_code; hoặc bảng chuyển đổi old_code,new_code…)<br><input type="file" name="file" accept=".csv,.xlsx" required></label></p>
<p><label>Hệ mã <select name="scheme"><option value="post2025">Từ 01/7/2025</option><option value="pre2025">Trước 01/7/2025</option></select></label></p><button>Nhập</button></form>`
    : `<p class="note">${demo ? esc(demoRefusal("danh mục đơn vị")) : "Danh mục đơn vị do quản trị viên cập nhật."}</p>`
}`,
        ),
      );
    });

    app.post("/units/import", bodyLimit({ maxSize: 20 * 1024 * 1024, onError: (c) => refusedPage(c, "Tệp quá lớn: tối đa 20 MB.") }), async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      // The unit lists are national (GSO): only admins change them.
      if (s.officer.role !== "admin") return notFoundPage(c);
      if (isDemoAccount(s.officer, s.own)) return refusedPage(c, demoRefusal("danh mục đơn vị hành chính"));
      const form = await c.req.parseBody();
      const file = form.file;
      if (!(file instanceof File) || file.size === 0) return refusedPage(c, "Chưa chọn tệp.");
      const scheme: Scheme = form.scheme === "pre2025" ? "pre2025" : "post2025";
      let report;
      try {
        report = await directory.importFile(Buffer.from(await file.arrayBuffer()), file.name, scheme);
      } catch (err) {
        if (err instanceof ImportFileError) return refusedPage(c, err.message);
        throw err;
      }
      await kit.audit(db, s, "units.import", `units:${report.kind}`, { scheme, imported: report.imported, rejected: report.rejected.length });
      const bad = report.rejected.slice(0, 500).map((r) => `<tr><td>${r.line}</td><td>${esc(r.reason)}</td></tr>`).join("");
      return c.html(
        adminPage(
          "Kết quả nhập danh mục",
          s,
          `<p id="summary">Đã nhập <b>${report.imported}</b> dòng; <b>${report.rejected.length}</b> dòng lỗi được bỏ qua.</p>
${bad ? `<table><thead><tr><th>Dòng</th><th>Lý do</th></tr></thead><tbody>${bad}</tbody></table>` : ""}<p><a href="/units">← Đơn vị</a></p>`,
        ),
      );
    });

    app.get("/units/mapping", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const moves = await pendingMoves(s);
      const rows = moves
        .map((m) => {
          const choice =
            m.targets.length === 1
              ? `${esc(m.targets[0]!.name)} (${esc(m.targets[0]!.code)})<input type="hidden" name="to_${m.officerId}" value="${esc(m.targets[0]!.code)}">`
              : `<select name="to_${m.officerId}">${m.targets.map((t) => `<option value="${esc(t.code)}">${esc(t.name)} (${esc(t.code)})</option>`).join("")}</select> <span class="note">xã cũ được chia, chọn nơi cán bộ làm việc</span>`;
          return `<tr><td><input type="checkbox" name="move" value="${m.officerId}" checked></td><td>${esc(m.officer)}</td><td>${esc(m.oldUnit)} (${esc(m.oldCode)})</td><td>${choice}</td></tr>`;
        })
        .join("");
      return c.html(
        adminPage(
          "Chuyển cán bộ sang đơn vị mới",
          s,
          `<p>Báo cáo đã nộp vẫn gắn với xã cũ (lịch sử); báo cáo từ nay thuộc xã mới.</p>
${
  moves.length
    ? `<form method="post" action="/units/mapping"><table><thead><tr><th></th><th>Cán bộ</th><th>Xã cũ</th><th>Xã mới</th></tr></thead><tbody>${rows}</tbody></table><p><button>Chuyển ${moves.length} cán bộ đã chọn</button></p></form>`
    : "<p>Không còn cán bộ nào ở đơn vị cũ.</p>"
}<p><a href="/units">← Đơn vị</a></p>`,
        ),
      );
    });

    app.post("/units/mapping", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const form = await c.req.parseBody({ all: true });
      const chosen = new Set(([] as unknown[]).concat(form.move ?? []).map(Number));
      // Only moves the mapping allows, for officers this admin looks after: re-derived, not trusted.
      const moves = (await pendingMoves(s)).filter((m) => chosen.has(m.officerId));
      const targets = await db.select().from(units).where(and(eq(units.scheme, "post2025"), inArray(units.code, moves.flatMap((m) => m.targets.map((t) => t.code)).concat("-"))));
      let moved = 0;
      await db.transaction(async (tx) => {
        for (const m of moves) {
          const code = String(form[`to_${m.officerId}`] ?? m.targets[0]!.code);
          const target: Unit | undefined = m.targets.some((t) => t.code === code) ? targets.find((u) => u.code === code) : undefined;
          if (!target) continue;
          await tx.update(officers).set({ unitId: target.id, updatedAt: deps.clock() }).where(eq(officers.id, m.officerId));
          await kit.audit(tx, s, "officer.move", `officer:${m.officerId}`, { from: `pre2025:${m.oldCode}`, to: `post2025:${target.code}` });
          moved++;
        }
      });
      return c.html(adminPage("Đã chuyển cán bộ", s, `<p id="summary">Đã chuyển <b>${moved}</b> cán bộ sang đơn vị mới.</p><p><a href="/units/mapping">← Còn lại</a> · <a href="/officers">Cán bộ</a></p>`));
    });
  };
}
