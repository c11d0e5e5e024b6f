import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands.js";
import ExcelJS from "exceljs";
import { auditLog, formVersions, officers, periods, submissions, units } from "../../src/db/schema/index.js";
import { officerActor, systemActor } from "../../src/directory/actor.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { isAppError } from "../../src/domain/app-error.js";
import { formFromSheets, normalizeForm, readXlsx, writeXlsx, type XlsFormSheets } from "../../src/forms/xlsform/xlsform.js";
import type { FormInput } from "../../src/forms/form-schema.js";
import { setTemplateSchedule, uploadTemplate } from "../../src/templates/template-service.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, callbackUpdate, withoutWebLink, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const MAI = 8201;
const MINH = "8202";
// 7 November 2026, 10:00 in Hà Nội.
const clock = () => new Date("2026-11-07T03:00:00Z");
const ID = "phu-luc-01";
const LABEL = "label::Vietnamese (vi)";

/** Lai Châu's own appendix as its author writes it in Excel; `v2` renames the first question and adds one. */
function appendix(opts: { v2?: boolean; friendlyAsText?: boolean; broken?: boolean } = {}): XlsFormSheets {
  const q = (type: string, name: string, label: string, extra: Record<string, string> = {}) => ({ type, name, [LABEL]: label, required: "yes", ...extra });
  return {
    survey: [
      { type: "begin_group", name: "tre_em", [LABEL]: "Trẻ em được hỗ trợ" },
      q("integer", "total", opts.v2 ? "Tổng số trẻ em được hỗ trợ trong năm" : "Tổng số trẻ được hỗ trợ", { constraint: ". <= 5000" }),
      q("integer", "boys", "Số trẻ trai"),
      q("integer", "girls", "Số trẻ gái", {
        constraint: "${total} = ${boys} + ${girls}",
        ...(opts.broken ? { relevant: "jr:choice-name(${total}, 'x')" } : {}),
      }),
      q(opts.friendlyAsText ? "text" : "select_one yes_no", "friendly", "Xã đạt chuẩn xã phù hợp với trẻ em?"),
      ...(opts.v2 ? [q("text", "difficulties", "Khó khăn, vướng mắc", { required: "no" })] : []),
      { type: "end_group" },
    ],
    choices: [
      { list_name: "yes_no", name: "yes", [LABEL]: "Có" },
      { list_name: "yes_no", name: "no", [LABEL]: "Không" },
    ],
    settings: [{ form_id: "phu_luc_01", form_title: "Phụ lục 01 — Trẻ em được hỗ trợ", version: opts.v2 ? "2026110702" : "2026110701" }],
  };
}

const multipart = (file: Buffer, fields: Record<string, string> = {}) => {
  const body = new FormData();
  body.set("file", new Blob([new Uint8Array(file)]), "phu-luc-01.xlsx");
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  return body;
};

describe.each(dbKinds)("a province's own report template, from its spreadsheet to officers' answers (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await s?.service.stop();
    await tg.close();
  });

  const say = async (chat: number, input: { text?: string; choice?: string }) => {
    const before = tg.sent(chat).length;
    const update = input.choice !== undefined ? callbackUpdate(chat, input.choice) : textUpdate(chat, input.text!);
    expect((await s.postUpdate(update)).status).toBe(200);
    return tg
      .sent(chat)
      .slice(before)
      .map((c) => String(c.payload.text));
  };
  const versionOf = async (officerPhone: string) => {
    const rows = await t.database.db
      .select({ version: submissions.formVersion, status: submissions.status })
      .from(submissions)
      .innerJoin(officers, eq(officers.unitId, submissions.unitId))
      .where(and(eq(submissions.formId, ID), eq(officers.phone, officerPhone)));
    return rows[0];
  };
  const cli = (args: string[], files: Record<string, Buffer> = {}) =>
    runCommand(args, {
      db: t.database.db,
      forms: s.service.forms,
      clock,
      timeZone: "Asia/Ho_Chi_Minh",
      inviteTtlHours: 72,
      readFile: async (path: string) => {
        const f = files[path];
        if (!f) throw new Error(`no file ${path}`);
        return f;
      },
    });

  it(
    "is uploaded as a draft, refused whole when wrong, published and scheduled, filled in on Telegram, and a new version reaches only new reports",
    { timeout: 180_000 },
    async () => {
      await loadLaiChau(t.database);
      await addOfficers(
        t.database,
        "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\nLò Văn Minh,0987654321,commune,03390\nTrần Văn Bình,0911111111,province,12\n",
      );
      s = await startTestService(t, { telegram: tg, clock });
      const v1 = await writeXlsx(appendix());

      // The API: no token, no template.
      const anonymous = await fetch(`${s.url}/api/templates`, { method: "POST", body: multipart(v1) });
      expect(anonymous.status).toBe(401);

      // A spreadsheet with problems: every one listed by sheet, row and column, and nothing saved.
      const broken = await s.api("/api/templates", { method: "POST", body: multipart(await writeXlsx(appendix({ broken: true }))) });
      expect(broken.status).toBe(422);
      const refusal = (await broken.json()) as { issues: string[] };
      expect(refusal.issues).toEqual([expect.stringMatching(/^survey, dòng 5, cột relevant: không hiểu `jr:choice-name/)]);
      expect(await t.database.db.select().from(formVersions).where(eq(formVersions.formId, ID))).toEqual([]);
      const notAWorkbook = await s.api("/api/templates", { method: "POST", body: multipart(Buffer.from("type,name\n")) });
      expect(notAWorkbook.status).toBe(422);

      // The province's own: a draft of version 1, kept to Lai Châu.
      const made = await s.api("/api/templates", { method: "POST", body: multipart(v1, { scope: "12" }) });
      expect(made.status).toBe(201);
      expect(await made.json()).toEqual({ id: ID, version: 1, status: "draft" });
      const listed = (await (await s.api("/api/templates")).json()) as { templates: { formId: string; draftVersion: number | null; scope: unknown }[] };
      expect(listed.templates.find((x) => x.formId === ID)).toMatchObject({ draftVersion: 1, publishedVersion: null, scope: { code: "12" } });

      // A commune officer fills reports in; she does not author them.
      const [mai] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912345678"));
      const [maiUnit] = await t.database.db.select().from(units).where(eq(units.id, mai!.unitId));
      const byMai = await uploadTemplate({ actor: officerActor(mai!, maiUnit!), db: t.database.db, clock }, { forms: s.service.forms }, { file: v1 }).catch(
        (e: unknown) => e,
      );
      expect(isAppError(byMai) && byMai.code).toBe("forbidden");

      // Published and given its deadline from the CLI.
      expect(await cli(["templates", "publish", ID, "1"])).toEqual({ output: `${ID} v1 (published)`, exitCode: 0 });
      await setTemplateSchedule(
        { actor: systemActor("cli", "post2025"), db: t.database.db, clock },
        { forms: s.service.forms },
        {
          formId: ID,
          schedule: {
            periodicity: "yearly",
            deadlines: [{ level: "commune", slot: "Y", deadline: "20/11" }],
            cutoff: { Y: "31/10" },
            reminderSteps: [],
            roles: [],
          },
        },
      );

      // Mai has two reports now, and opens the province's by its button.
      const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
      await say(MAI, { text: `/start ${code}` });
      const list = await say(MAI, { text: "báo cáo" });
      expect(list[0]).toBe("Anh/chị có 2 báo cáo cần làm:");
      let got = await say(MAI, { choice: `cmd:start:${ID}` });
      expect(withoutWebLink(got[0]!)).toBe("Hạn nộp: 20/11/2026. Số liệu tính đến ngày 31/10/2026.");
      expect(got.at(-1)).toMatch(/^Câu 1\/4\. Tổng số trẻ được hỗ trợ/);
      expect((await say(MAI, { text: "6000" })).join("\n")).toMatch(/5\.000/);
      expect((await say(MAI, { text: "10" })).at(-1)).toMatch(/^Câu 2\/4\. Số trẻ trai/);
      expect(await versionOf("84912345678")).toEqual({ version: 1, status: "in_progress" });

      // Version 2 is imported and published while she is in the middle of version 1.
      expect(await cli(["templates", "import", "v2.xlsx"], { "v2.xlsx": await writeXlsx(appendix({ v2: true })) })).toMatchObject({
        output: `${ID} v2 (published)`,
        exitCode: 0,
      });
      // A question that changes type under the same name would add up apples and pears: refused, nothing saved.
      const retyped = await cli(["templates", "import", "v3.xlsx"], { "v3.xlsx": await writeXlsx(appendix({ v2: true, friendlyAsText: true })) });
      expect(retyped.exitCode).toBe(1);
      expect(retyped.output).toContain('câu "friendly" đã có kiểu yesno ở phiên bản 2, nay là text');
      expect((await t.database.db.select().from(formVersions).where(eq(formVersions.formId, ID))).map((v) => [v.version, v.status]).sort()).toEqual([
        [1, "archived"],
        [2, "published"],
      ]);

      // Mai finishes the version she started: four questions, the form's own sum check, then submits.
      expect((await say(MAI, { text: "4" })).at(-1)).toMatch(/^Câu 3\/4\. Số trẻ gái/);
      got = await say(MAI, { text: "5" });
      expect(got.join("\n")).toMatch(/là 10 nhưng cộng các phần \(câu 2 \+ câu 3\) được 4 \+ 5 = 9/);
      got = await say(MAI, { text: "6" });
      expect(got.join("\n")).toMatch(/Câu 4\/4\. Xã đạt chuẩn xã phù hợp với trẻ em\?/);
      got = await say(MAI, { text: "co" });
      expect(got.join("\n")).not.toContain("Khó khăn");
      got = await say(MAI, { text: "nộp" });
      expect(got.at(-1)).toMatch(/^✅ Đã nộp Phụ lục 01 — Trẻ em được hỗ trợ năm 2026 lúc .* \(đúng hạn\)/);
      expect(await versionOf("84912345678")).toEqual({ version: 1, status: "submitted" });

      // The province's consolidation of its own report: the cut-off in the heading, the yes/no counted.
      const [period] = await t.database.db
        .select()
        .from(periods)
        .where(and(eq(periods.templateId, ID), eq(periods.key, "2026-Y")));
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(await (await s.api(`/api/periods/${period!.id}/export.xlsx?unit=12`)).arrayBuffer());
      const summary = wb.getWorksheet("Tổng hợp")!;
      expect(summary.getCell("A1").value).toBe("PHỤ LỤC 01 — TRẺ EM ĐƯỢC HỖ TRỢ");
      expect(summary.getCell("A2").value).toBe("Tỉnh Lai Châu — báo cáo năm 2026 (số liệu tính đến ngày 31/10/2026)");
      const rows = Array.from({ length: summary.rowCount }, (_, i) => summary.getRow(i + 1).values as unknown[]).map((r) => r.slice(1, 5));
      // Laid out by the newest version, its answers matched by name (Mai answered version 1).
      expect(rows).toContainEqual(["1", "Tổng số trẻ em được hỗ trợ trong năm", "", 10]);
      expect(rows).toContainEqual(["4.1", "Xã đạt chuẩn xã phù hợp với trẻ em?: Có", "đơn vị", 1]);
      expect(rows).toContainEqual(["4.2", "Xã đạt chuẩn xã phù hợp với trẻ em?: Không", "đơn vị", 0]);

      // Minh starts after version 2 was published: he is asked version 2.
      await linkOfficer(t.database, "84987654321", "telegram", MINH);
      got = await say(Number(MINH), { text: "báo cáo" });
      got = got[0] === "Anh/chị có 2 báo cáo cần làm:" ? await say(Number(MINH), { choice: `cmd:start:${ID}` }) : got;
      expect(got.at(-1)).toMatch(/^Câu 1\/5\. Tổng số trẻ em được hỗ trợ trong năm/);
      expect(await versionOf("84987654321")).toEqual({ version: 2, status: "in_progress" });

      // Exported, it imports as the same form, from the CLI and from the API.
      const exported = await cli(["templates", "export", ID, "out.xlsx"]);
      expect(exported).toMatchObject({ exitCode: 0, files: [{ path: "out.xlsx" }] });
      const [stored] = await t.database.db
        .select()
        .from(formVersions)
        .where(and(eq(formVersions.formId, ID), eq(formVersions.version, 2)));
      const read = await readXlsx(Buffer.from(exported.files![0]!.base64, "base64"));
      if (!read.ok) throw new Error("the export is not a workbook");
      const again = formFromSheets(read.sheets, 2);
      expect(again.ok && again.form).toEqual(normalizeForm(stored!.definition as unknown as FormInput));
      const download = await s.api(`/api/templates/${ID}/xlsx`);
      expect(download.status).toBe(200);
      expect(download.headers.get("content-disposition")).toBe(`attachment; filename="${ID}-v2.xlsx"`);

      // Each step is in the audit log under who did it.
      const audit = await t.database.db
        .select({ actor: auditLog.actor, action: auditLog.action })
        .from(auditLog)
        .where(eq(auditLog.target, `template:${ID}`));
      expect(audit.map((a) => `${a.actor} ${a.action}`)).toEqual([
        "admin-api-token template.upload",
        "cli template.publish",
        "cli template.schedule",
        "cli template.upload",
        "cli template.publish",
        "cli template.export",
        "admin-api-token template.export",
      ]);
    },
  );
});
