import { answers, auditLog } from "../db/schema/index.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { formatDate, formatDateTime } from "../domain/dates.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { formatAnswer, optionsOf } from "../forms/form-runtime.js";
import type { Question } from "../forms/form-schema.js";
import { LEVEL_NAMES } from "../reporting/deadline-rules.js";
import { anyOf } from "../reporting/subtree-reports.js";
import { REQUEST_STATUS_LABELS, requestStatus } from "./request-status.js";

/**
 * A request's answers as a spreadsheet: one row per asked unit (its status, when it answered and
 * each answer), the totals of the number questions, and how many units chose each option. The
 * file leaves the system: audited ("export") in the transaction that reads it.
 */
export async function exportRequest(
  ctx: ServiceContext,
  deps: { forms: FormRegistry; timeZone: string },
  input: { id: number | string },
  today: string,
): Promise<{ file: Buffer; fileName: string }> {
  return ctx.db.transaction(async (tx) => {
    const c = { ...ctx, db: tx };
    const status = await requestStatus(c, deps, input, today);
    const { request, form } = status;
    const counted = status.units.filter((u) => u.submissionId !== null && (u.status === "on_time" || u.status === "late")).map((u) => u.submissionId!);
    const rows = counted.length
      ? await tx
          .select({ submissionId: answers.submissionId, key: answers.key, questionId: answers.questionId, value: answers.value })
          .from(answers)
          .where(anyOf(answers.submissionId, counted))
      : [];
    const bySubmission = new Map<number, Map<string, unknown>>();
    const repeatRows = new Map<number, Map<string, Set<string>>>();
    for (const r of rows) {
      if (r.key.includes("[")) {
        // "cases[2].age": the row number counts once per group.
        const group = r.key.slice(0, r.key.indexOf("["));
        const groups = repeatRows.get(r.submissionId) ?? new Map<string, Set<string>>();
        groups.set(group, (groups.get(group) ?? new Set()).add(r.key.slice(0, r.key.indexOf("]"))));
        repeatRows.set(r.submissionId, groups);
        continue;
      }
      (bySubmission.get(r.submissionId) ?? bySubmission.set(r.submissionId, new Map()).get(r.submissionId)!).set(r.key, r.value.v);
    }
    const top: Question[] = form.sections.filter((s) => !s.repeat).flatMap((s) => s.questions.filter((q) => q.type !== "note"));
    const groups = form.sections.filter((s) => s.repeat);

    const { default: ExcelJS } = await import("exceljs");
    const wb = new ExcelJS.Workbook();
    wb.creator = "baocao";
    const ws = wb.addWorksheet("Trả lời", { pageSetup: { paperSize: 9, orientation: "landscape", fitToPage: true, fitToWidth: 1, fitToHeight: 0 } });
    const c0 = status.counts;
    ws.addRow([`YÊU CẦU BÁO CÁO ĐỘT XUẤT: ${request.title.toUpperCase()}`]).font = { bold: true, size: 14 };
    ws.addRow([`${status.root.name} — hạn trả lời ${formatDate(request.deadline)}`]);
    ws.addRow([
      `Đã trả lời ${c0.answered}/${c0.units} đơn vị (đúng hạn ${c0.onTime}, trễ hạn ${c0.late}); đang trả lời ${c0.inProgress}; chưa trả lời ${c0.notStarted}`,
    ]);
    ws.addRow([]);
    const header = ["STT", "Đơn vị", "Mã", "Cấp", "Trạng thái", "Trả lời lúc", ...top.map((q) => q.label), ...groups.map((g) => `${g.title} (số dòng)`)];
    ws.addRow(header).font = { bold: true };
    status.units.forEach((u, i) => {
      const given = u.submissionId !== null ? bySubmission.get(u.submissionId) : undefined;
      const answered = u.status === "on_time" || u.status === "late";
      ws.addRow([
        i + 1,
        u.name,
        u.code,
        LEVEL_NAMES[u.level],
        REQUEST_STATUS_LABELS[u.status],
        u.submittedAt ? formatDateTime(new Date(u.submittedAt), deps.timeZone) : "",
        ...top.map((q) => {
          if (!answered || !given?.has(q.id)) return "";
          const v = given.get(q.id);
          // Numbers stay numbers, so the sheet can add them up again.
          return (q.type === "integer" || q.type === "decimal") && typeof v === "number" ? v : formatAnswer(q, v);
        }),
        ...groups.map((g) => (answered && u.submissionId !== null ? (repeatRows.get(u.submissionId)?.get(g.id)?.size ?? 0) : "")),
      ]);
    });
    const totals = top.map((q) => (q.type === "integer" || q.type === "decimal" ? (status.sums[q.id] ?? 0) : ""));
    ws.addRow(["", "Tổng", "", "", "", "", ...totals, ...groups.map((g) => status.repeatRows[g.id] ?? 0)]).font = { bold: true };
    for (const col of header.keys()) ws.getColumn(col + 1).width = col === 1 ? 34 : col < 6 ? 14 : 22;

    const choices = top.filter((q) => optionsOf(q) !== undefined);
    if (choices.length > 0) {
      const cs = wb.addWorksheet("Lựa chọn");
      cs.columns = [{ width: 50 }, { width: 30 }, { width: 14 }];
      cs.addRow(["Câu hỏi", "Lựa chọn", "Số đơn vị"]).font = { bold: true };
      for (const q of choices) for (const o of optionsOf(q)!) cs.addRow([q.label, o.label, status.choiceCounts[q.id]?.[o.value] ?? 0]);
    }
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    await tx.insert(auditLog).values({ actor: auditName(ctx.actor), action: "export", target: `request:${request.id}`, detail: { units: c0.units } });
    return { file, fileName: `baocao-yeu-cau-${request.id}.xlsx` };
  });
}
