import { DEFAULT_TEMPLATE_ID } from "../reporting/reporting-defaults.js";
import { and, desc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Tx } from "../db/client.js";
import { runStatement, type DeferrableWrite, type HeldWrite, type Statement } from "../db/statement.js";
import { answers, conversationSessions, deadlineCalendars, periods, reportTemplates, submissionEvents, submissions, units } from "../db/schema/index.js";
import { formatDate as vnDate, formatDateTime, localDate } from "../domain/dates.js";
import { parseCommand, type Command } from "./commands.js";
import { createSubmitReport } from "./submit-report.js";
import { beginReport, commandHelp, IDLE, notAnAnswer, step, type AnswerWrite, type Effects, type SessionState, type StepResult } from "./engine.js";
import { firstDetail, startCaseNote, startIncident, stepIncident, type IncidentStep } from "../incidents/incident-flow.js";
import type { IncidentService } from "../incidents/incident-service.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { questionNumbers, renderSlot, visibleSlots, type Answers } from "../forms/form-runtime.js";
import type { OutboundMessage } from "../domain/messages.js";
import { currentPeriod, deadlinesForUnit, reportingContext, type Period, type ReportTemplate } from "../reporting/reporting-calendar.js";
import { reportLabel, reportTitle, shortDate, startChoice, templateAsksSql } from "../reporting/reminder-topic.js";
import { cutoffFor } from "../reporting/cutoff.js";
import { carriedQuestions, previousAnswers } from "../reporting/previous-answers.js";
import type { CalendarEntry, ReportingLevel } from "../domain/periods.js";
import type { FormDefinition } from "../forms/form-schema.js";
import type { ActingOfficer } from "../directory/officers.js";

export interface ConversationDeps {
  forms: FormRegistry;
  clock: () => Date;
  timeZone: string;
  /** Runs in the submitting transaction (the scheduler cancels the unit's queued reminders). */
  onSubmitted?: (tx: Tx, periodId: number, unitId: number) => Promise<void>;
  /** Files urgent incident reports and alerts the supervisors. */
  incidents: IncidentService;
  /** A new link opening this officer's report as a web form (src/web-form/); unset: no web form. */
  webLinks?: (tx: Tx, officerId: number, submissionId: number) => Promise<string>;
}

/** The web form's button, on every report start and for "web". */
export const WEB_LINK_LABEL = "📝 Điền trên web";

/** What applying one message came to, for the inbound transaction to finish. */
export interface ConversationOutcome {
  messages: OutboundMessage[];
  /**
   * The answer's save, not yet run: the caller runs it in front of the reply's insert (one round
   * trip for both) or alone, before commit — never dropped.
   */
  held?: HeldWrite;
  /** Urgent-case work ran (filed, updated, closed): alerts may be waiting, send them now. */
  urgent?: boolean;
}

export const MENU: OutboundMessage = {
  text: `Gõ "báo cáo" để làm báo cáo kỳ này, "khẩn" để báo cáo khẩn, hoặc "?" để xem các lệnh.`,
  choices: [
    { value: "cmd:start", label: "📝 Làm báo cáo" },
    { value: "cmd:urgent", label: "🚨 Báo cáo khẩn" },
  ],
};

/**
 * Applies one officer message inside the caller's transaction: loads the session (locked, so two
 * messages of one officer never interleave), runs the engine, writes answers and the new state.
 */
export function createConversationService(deps: ConversationDeps) {
  const { forms, clock, timeZone } = deps;
  const submitReport = createSubmitReport(deps);

  async function handle(
    tx: Tx,
    officer: ActingOfficer,
    input: { text?: string; choice?: string; attachment?: { kind: string; fileId?: string } },
  ): Promise<ConversationOutcome> {
    const command = parseCommand(input);
    const { state, report: loaded } = await openSession(tx, officer.id);
    const now = clock();
    const today = localDate(now, timeZone);

    // An urgent report can start from any state; what the officer was doing waits for it.
    if (command?.name === "close_case") return { messages: [await deps.incidents.close(tx, officer, command.ref, command.outcome)], urgent: true };

    if (command?.name === "urgent" || command?.name === "update_case" || state.incident) {
      return { messages: await handleIncident(tx, officer, state, command, input, now, today), urgent: true };
    }
    if (input.attachment && input.text === undefined) {
      const what = input.attachment.kind === "location" ? "vị trí" : input.attachment.kind === "sticker" ? "nhãn dán" : "tệp hay ảnh";
      const reason = { text: `baocao chưa đọc được ${what} ở đây. Anh/chị vui lòng trả lời bằng chữ hoặc số; địa điểm thì gõ tên thôn, xã.` };
      if (state.report && loaded?.status === "in_progress") {
        return { messages: notAnAnswer(state, reason, { form: forms.get(state.report.formId, state.report.formVersion), answers: loaded.answers, today }) };
      }
      return { messages: [reason] };
    }

    if (command?.name === "web") return { messages: await webLink(tx, officer, state, loaded?.status, command, today) };

    if (!state.report || state.mode === "idle") {
      const result = await handleIdle(tx, officer, command, today, state, input.text);
      await saveState(tx, officer.id, result.state);
      return { messages: result.messages };
    }

    const report = state.report;
    const before: OutboundMessage[] = [];
    if (command?.name === "start" && (command.template !== undefined || command.index !== undefined) && loaded?.status === "in_progress") {
      // "báo cáo 2" or another report's button while one is open: the open one waits (its answers
      // are saved) unless it is the one asked for.
      const all = await openReports(tx, officer, today, true);
      const open = all.filter((r) => r.status !== "submitted" && r.status !== "approved");
      const target = pick(command.template !== undefined ? all : open, command);
      if (target && target.submissionId !== report.submissionId && !open.includes(target)) {
        // Already in: say so, and carry on with the open one.
        before.push(...(await startReport(tx, officer, today, target.template.id)).messages);
      } else if (target && target.submissionId !== report.submissionId) {
        const r = await startReport(tx, officer, today, target.template.id);
        await saveState(tx, officer.id, r.state);
        const paused: OutboundMessage = { text: `Đã tạm dừng ${report.periodLabel}; các câu trả lời đã được lưu. Gõ "báo cáo" để chọn lại.` };
        return { messages: [paused, ...r.messages] };
      }
      if (!target) before.push(notFound(open, command));
    }
    if (loaded?.status !== "in_progress") {
      // Submitted elsewhere (a colleague of the same commune, the web) or removed.
      await saveState(tx, officer.id, IDLE);
      return handleIdle(tx, officer, command, today).then(async (r) => {
        await saveState(tx, officer.id, r.state);
        return { messages: r.messages };
      });
    }
    const form = await formOf(tx, report.formId, report.formVersion);
    const result = step(state, input, command, { form, answers: loaded.answers, today });
    const { writes, deletes, submit, cancel } = result.effects;
    if (deletes.length === 0 && !submit && !cancel) {
      // The common case, an answer: one statement for the answer, the submission and the state,
      // handed back to ride with the reply's insert. Nothing below reads what it writes.
      return { messages: [...before, ...result.messages], held: answerStep(report.submissionId, officer.id, writes, result.state, now) };
    }
    const extra = await applyEffects(tx, report.submissionId, officer.id, result.effects, now, today, report.periodLabel);
    await saveState(tx, officer.id, result.state);
    return { messages: [...before, ...result.messages, ...extra] };
  }

  /**
   * "web" or a reminder's «Điền trên web»: a link to the report open in chat (or the one the
   * button names), starting it as "báo cáo" would when none is open — its start carries the link.
   */
  async function webLink(
    tx: Tx,
    officer: ActingOfficer,
    state: SessionState,
    status: string | undefined,
    command: Extract<Command, { name: "web" }>,
    today: string,
  ): Promise<OutboundMessage[]> {
    if (!deps.webLinks) return [{ text: 'Máy chủ này chưa bật trang web điền báo cáo. Anh/chị làm báo cáo ngay trong khung chat: gõ "báo cáo".' }];
    const active = state.report && state.mode !== "idle" && status === "in_progress" ? state.report : undefined;
    if (active) {
      const [row] = await tx
        .select({ templateId: periods.templateId })
        .from(submissions)
        .innerJoin(periods, eq(periods.id, submissions.periodId))
        .where(eq(submissions.id, active.submissionId));
      if (command.template === undefined || row?.templateId === command.template) {
        const url = await deps.webLinks(tx, officer.id, active.submissionId);
        return [
          {
            text: `Mở ${active.periodLabel} trên trang web: các câu đã trả lời trong chat đã có sẵn ở đó, và ngược lại.`,
            link: { url, label: WEB_LINK_LABEL },
          },
        ];
      }
    }
    const r = await chooseReport(tx, officer, today, command.template !== undefined ? { name: "start", template: command.template } : { name: "start" });
    await saveState(tx, officer.id, r.state);
    return r.messages;
  }

  async function handleIncident(
    tx: Tx,
    officer: ActingOfficer,
    state: SessionState,
    command: Command | undefined,
    input: { text?: string; choice?: string; attachment?: { kind: string; fileId?: string } },
    now: Date,
    today: string,
  ): Promise<OutboundMessage[]> {
    const incidents = deps.incidents;
    // What the officer was doing before the urgent report, kept as it was.
    const { incident: _current, ...outer } = state;
    let step: IncidentStep;
    if (command?.name === "urgent") {
      step = startIncident();
    } else if (command?.name === "update_case") {
      const found = await incidents.findForUpdate(tx, officer, command.ref);
      if (!found) {
        await saveState(tx, officer.id, outer);
        return [{ text: `Không tìm thấy ${command.ref} của đơn vị anh/chị.` }];
      }
      step = startCaseNote(found.id, found.ref);
    } else {
      step = stepIncident(state.incident!, input, { today, now, timeZone });
    }
    const messages = [...step.messages];
    let incidentState = step.state;
    for (const effect of step.effects) {
      if (effect.kind === "create") {
        const filed = await incidents.create(tx, officer, effect.answers);
        messages.push(...filed.messages);
        incidentState = { ...incidentState!, incidentId: filed.incident.id, ref: filed.incident.ref };
        messages.push(firstDetail(incidentState));
      } else {
        await incidents.apply(tx, officer, (incidentState ?? state.incident)!.incidentId!, effect);
      }
    }
    if (step.done || !incidentState) {
      await saveState(tx, officer.id, outer);
      // Back to the report where it was: its question asked again (a paused one waits for "tiếp tục").
      if (outer.report && outer.mode !== "idle") return withReport(tx, outer, messages, { text: `Tiếp tục ${outer.report.periodLabel}:` });
      return messages;
    }
    await saveState(tx, officer.id, { ...outer, incident: incidentState });
    return messages;
  }

  /**
   * Something said beside the report (a directive acknowledged, an urgent report finished): the
   * messages, then the question the report is at, so the officer is never left wondering where it was.
   */
  async function withReport(tx: Tx, state: SessionState, messages: OutboundMessage[], lead?: OutboundMessage): Promise<OutboundMessage[]> {
    const report = state.report;
    if (!report || state.mode === "idle" || state.incident) return messages;
    if (state.mode === "paused")
      return [...messages, { text: `${report.periodLabel[0]!.toUpperCase()}${report.periodLabel.slice(1)} đang tạm dừng: gõ "tiếp tục" để làm tiếp.` }];
    const [row] = await tx.select({ status: submissions.status }).from(submissions).where(eq(submissions.id, report.submissionId));
    if (row?.status !== "in_progress") return messages;
    const form = await formOf(tx, report.formId, report.formVersion);
    const again = notAnAnswer(state, lead ?? { text: "" }, { form, answers: await loadAnswers(tx, report.submissionId), today: localDate(clock(), timeZone) });
    return [...messages, ...(lead ? again : again.slice(1))];
  }

  /** After "đã nhận" (or its button): the reply, then the report's current question. */
  async function aside(tx: Tx, officer: ActingOfficer, reply: OutboundMessage): Promise<OutboundMessage[]> {
    const [row] = await tx.select({ state: conversationSessions.state }).from(conversationSessions).where(eq(conversationSessions.officerId, officer.id));
    return row ? withReport(tx, row.state as SessionState, [reply]) : [reply];
  }

  async function handleIdle(
    tx: Tx,
    officer: ActingOfficer,
    command: Command | undefined,
    today: string,
    state: SessionState = IDLE,
    text?: string,
  ): Promise<StepResult> {
    const none = { writes: [], deletes: [] };
    // A number right after the list of open reports picks one of that list.
    const listed = (state as ChoosingState).choosing;
    const typed = command === undefined && listed ? /^\s*(\d{1,2})\s*\.?\s*$/.exec(text ?? "") : null;
    if (typed && listed) {
      const id = listed[Number(typed[1]) - 1];
      if (id) return startReport(tx, officer, today, id);
      return {
        state,
        effects: none,
        messages: [{ text: `Chỉ có ${listed.length} báo cáo trong danh sách: gõ số từ 1 đến ${listed.length}, hoặc "báo cáo" để xem lại.` }],
      };
    }
    if (command?.name === "start" || command?.name === "resume") return chooseReport(tx, officer, today, command);
    if (command?.name === "help") return { state: IDLE, effects: none, messages: [{ text: commandHelp(officer.role) }] };
    if (command?.name === "view" || command?.name === "submit" || command?.name === "edit") {
      return { state: IDLE, effects: none, messages: [{ text: "Anh/chị chưa có báo cáo nào đang làm.", choices: MENU.choices }] };
    }
    return { state: IDLE, effects: none, messages: [MENU] };
  }

  /**
   * "báo cáo": nothing open → say so; one open → open it; several → the list, by deadline, each a
   * button (a numbered list where the platform has no buttons), remembered for a number typed next.
   */
  async function chooseReport(tx: Tx, officer: ActingOfficer, today: string, command: Extract<Command, { name: "start" | "resume" }>): Promise<StepResult> {
    const none = { writes: [], deletes: [] };
    const all = await openReports(tx, officer, today, true);
    const open = all.filter((r) => r.status !== "submitted" && r.status !== "approved");
    if (command.name === "start" && command.template !== undefined) {
      // A button (a list's, a reminder's): that report, if it still asks this officer; once
      // submitted, its own "already submitted" answer.
      const target = pick(all, command);
      return target ? startReport(tx, officer, today, target.template.id) : { state: IDLE, effects: none, messages: [notFound(open, command)] };
    }
    if (command.name === "start" && command.index !== undefined) {
      const target = pick(open, command);
      if (target) return startReport(tx, officer, today, target.template.id);
      if (open.length > 0) return { state: IDLE, effects: none, messages: [notFound(open, command)] };
    }
    if (open.length === 1) return startReport(tx, officer, today, open[0]!.template.id);
    if (open.length === 0) {
      // One report, already in: its own "already submitted" answer, as before there were several.
      if (all.length === 1) return startReport(tx, officer, today, all[0]!.template.id);
      if (all.length === 0) return startReport(tx, officer, today, DEFAULT_TEMPLATE_ID);
      return { state: IDLE, effects: none, messages: [{ text: "Đơn vị đã nộp đủ các báo cáo đang mở. Cảm ơn anh/chị!" }] };
    }
    const choosing: ChoosingState = { mode: "idle", choosing: open.map((r) => r.template.id) };
    return {
      state: choosing as SessionState,
      effects: none,
      messages: [
        {
          text: `Anh/chị có ${open.length} báo cáo cần làm:`,
          choices: open.map((r) => ({ value: startChoice(r.template.id), label: `${r.title} — hạn ${shortDate(r.deadline)}${r.late ? " (quá hạn)" : ""}` })),
        },
      ],
    };
  }

  /** A report's form, loaded from storage when this instance has not met that version (published on another one). */
  async function formOf(tx: Tx, id: string, version: number): Promise<FormDefinition> {
    return forms.ensure(tx, id, version);
  }

  /** The template's published version of its form, which a new report starts on. */
  async function latestForm(tx: Tx, template: ReportTemplate): Promise<FormDefinition> {
    return forms.ensure(tx, template.formId, template.formVersion);
  }

  async function startReport(tx: Tx, officer: ActingOfficer, today: string, templateId: string): Promise<StepResult> {
    const none = { writes: [], deletes: [] };
    const context = await reportingContext(tx, templateId, officer.unitId, today);
    const template = context?.template;
    const period = context?.period;
    if (!context || !template || !period) {
      return { state: IDLE, effects: none, messages: [{ text: "Hiện chưa có kỳ báo cáo nào đang mở. Anh/chị sẽ được nhắc khi đến kỳ." }] };
    }
    const label = reportLabel(template, period.key);
    const [existing] = await tx
      .select()
      .from(submissions)
      .where(and(eq(submissions.periodId, period.id), eq(submissions.unitId, officer.unitId)))
      .for("update");
    let submission = existing;
    if (submission && (submission.status === "submitted" || submission.status === "approved")) {
      return {
        state: IDLE,
        effects: none,
        messages: [
          { text: `Đơn vị đã nộp ${label} lúc ${formatDateTime(submission.submittedAt!, timeZone)}${submission.late ? " (trễ hạn)" : ""}. Cảm ơn anh/chị!` },
        ],
      };
    }
    let returned: { comment: string | null; questions: string[] | null } | undefined;
    if (submission && submission.status === "returned") {
      [returned] = await tx
        .select({ comment: submissionEvents.comment, questions: submissionEvents.questions })
        .from(submissionEvents)
        .where(and(eq(submissionEvents.submissionId, submission.id), eq(submissionEvents.kind, "returned")))
        .orderBy(desc(submissionEvents.id))
        .limit(1);
      [submission] = await tx
        .update(submissions)
        .set({ status: "in_progress", updatedAt: sql`now()` })
        .where(eq(submissions.id, submission.id))
        .returning();
      await tx.insert(submissionEvents).values({ submissionId: submission!.id, kind: "reopened", officerId: officer.id });
    }
    let fresh = false;
    if (!submission) {
      // A button from an old reminder, or a forged one, may name a template that no longer asks this
      // officer (archived, unscheduled, another scope or role): a report already begun stays theirs, a new one is not begun.
      const [unit] = await tx.select({ id: units.id, path: units.path, scheme: units.scheme }).from(units).where(eq(units.id, officer.unitId));
      const [asks] = unit
        ? await tx
            .select({ id: reportTemplates.id })
            .from(reportTemplates)
            .where(and(eq(reportTemplates.id, template.id), templateAsksSql(unit, officer.role)))
        : [];
      if (!asks) {
        return {
          state: IDLE,
          effects: none,
          messages: [
            { text: `${label[0]!.toUpperCase()}${label.slice(1)} không còn yêu cầu đơn vị anh/chị báo cáo. Gõ "báo cáo" để xem các báo cáo cần làm.` },
          ],
        };
      }
      const form = await latestForm(tx, template);
      // A colleague of the same commune may be starting it this very moment: the insert then
      // waits for theirs, does nothing, and their report is the one both fill in.
      [submission] = await tx
        .insert(submissions)
        .values({ periodId: period.id, unitId: officer.unitId, officerId: officer.id, formId: form.id, formVersion: form.version })
        .onConflictDoNothing({ target: [submissions.periodId, submissions.unitId] })
        .returning();
      fresh = submission !== undefined;
      submission ??= (
        await tx
          .select()
          .from(submissions)
          .where(and(eq(submissions.periodId, period.id), eq(submissions.unitId, officer.unitId)))
          .for("update")
      )[0];
    }
    const s = submission!;
    const form = await formOf(tx, s.formId, s.formVersion);
    const link = deps.webLinks ? { link: { url: await deps.webLinks(tx, officer.id, s.id), label: WEB_LINK_LABEL } } : {};
    // A report created just now has no answers yet: no need to ask.
    const current = fresh ? new Map() : await loadAnswers(tx, s.id);
    const deadline = deadlinesForUnit(context.calendar, period, context.unit.path)[context.unit.level];
    // Last period's answers to the questions the form carries over, read once here and kept in the
    // session state: no extra statement per message.
    const previous = await previousAnswers(
      tx,
      { templateId: template.id, unitId: officer.unitId, periodId: period.id, endsOn: period.endsOn },
      carriedQuestions(form),
    );
    const report = {
      submissionId: s.id,
      formId: s.formId,
      formVersion: s.formVersion,
      periodKey: period.key,
      periodLabel: label,
      ...(Object.keys(previous).length > 0 ? { previous } : {}),
    };
    if (returned) {
      // Returned for correction: go straight to the first question the supervisor named.
      const slots = visibleSlots(form, current);
      const named = returned.questions ?? [];
      const target = slots.find((sl) => named.includes(sl.number) || named.includes(sl.number.split(".")[0]!));
      const intro: OutboundMessage = {
        text: `${label[0]!.toUpperCase()}${label.slice(1)} được trả lại để sửa${returned.comment ? `: «${returned.comment}»` : ""}.${named.length ? ` Các câu cần xem lại: ${named.join(", ")}.` : ""} Sửa xong gõ "nộp" để nộp lại.`,
        ...link,
      };
      if (target) {
        return {
          state: {
            mode: "asking",
            report: {
              ...report,
              cursor: target.key,
              editing: true,
              // The other named questions, walked one after another before the review.
              queue: slots.filter((sl) => sl !== target && (named.includes(sl.number) || named.includes(sl.number.split(".")[0]!))).map((sl) => sl.key),
            },
          },
          effects: { writes: [], deletes: [] },
          messages: [intro, renderSlot(target, { total: questionNumbers(form).size }, current.get(target.key))],
        };
      }
      const r = beginReport(report, { form, answers: current, today }, true);
      return { ...r, messages: [intro, ...r.messages] };
    }
    const result = beginReport(report, { form, answers: current, today }, current.size > 0);
    const cutoff = cutoffFor(template, period);
    const due =
      today > deadline ? `Hạn nộp ${label} là ${vnDate(deadline)} — đã quá hạn, anh/chị vẫn nộp được (ghi là nộp trễ).` : `Hạn nộp: ${vnDate(deadline)}.`;
    const dueNote: OutboundMessage = { text: cutoff ? `${due} Số liệu tính đến ngày ${vnDate(cutoff)}.` : due, ...link };
    return { ...result, messages: [dueNote, ...result.messages] };
  }

  async function applyEffects(
    tx: Tx,
    submissionId: number,
    officerId: number,
    effects: Effects,
    now: Date,
    today: string,
    label: string,
  ): Promise<OutboundMessage[]> {
    if (effects.writes.length > 0) await upsertAnswers(tx, submissionId, effects.writes, now);
    if (effects.deletes.length > 0) {
      await tx.delete(answers).where(and(eq(answers.submissionId, submissionId), inArray(answers.key, effects.deletes)));
    }
    await tx.update(submissions).set({ updatedAt: now }).where(eq(submissions.id, submissionId));
    if (effects.cancel) {
      await tx.delete(submissions).where(eq(submissions.id, submissionId));
      return [];
    }
    if (effects.submit) return [await submitReport(tx, submissionId, officerId, now, today, label)];
    return [];
  }

  return { handle, aside };
}

/**
 * The session while the list of open reports is on screen: the templates in the order shown, so
 * that "2" typed next opens the second. Kept beside the engine's fields in the same JSON state; the
 * engine never reads it, and any state the engine writes drops it.
 */
type ChoosingState = SessionState & { choosing?: string[] };

export interface OpenReport {
  template: ReportTemplate;
  period: Period;
  /** The officer's level's deadline, yyyy-mm-dd. */
  deadline: string;
  late: boolean;
  title: string;
  submissionId?: number;
  status?: string;
}

/**
 * An officer's open reports, by deadline: every template that asks the officer's unit and role,
 * with a period open today, not yet submitted or approved by the unit (with `submitted`, those too).
 * One statement for all templates; only a template whose periods of this year do not exist yet
 * costs more (`currentPeriod` creates them).
 */
export async function openReports(tx: Tx, officer: Pick<ActingOfficer, "unitId" | "role">, today: string, submitted = false): Promise<OpenReport[]> {
  const [unit] = await tx.select({ id: units.id, path: units.path, level: units.level, scheme: units.scheme }).from(units).where(eq(units.id, officer.unitId));
  if (!unit) return [];
  const open = tx
    .select()
    .from(periods)
    .where(and(eq(periods.templateId, sql`${reportTemplates.id}`), lte(periods.opensOn, today), isNull(periods.closedAt)))
    .orderBy(desc(periods.opensOn), desc(periods.endsOn))
    .limit(1)
    .as("open_period");
  const rows = await tx
    .select({
      template: reportTemplates,
      period: {
        id: open.id,
        templateId: open.templateId,
        key: open.key,
        startsOn: open.startsOn,
        endsOn: open.endsOn,
        opensOn: open.opensOn,
        closedAt: open.closedAt,
      },
      calendar: sql<
        CalendarRow[]
      >`(select coalesce(json_agg(json_build_object('scopePath', scope.path, 'year', c.year, 'slot', c.slot, 'level', c.level, 'deadline', c.deadline)), '[]')
        from ${deadlineCalendars} c left join ${units} scope on scope.id = c.scope_unit_id where c.template_id = ${reportTemplates.id})`,
      submission: sql<{ id: number; status: string } | null>`(select json_build_object('id', s.id, 'status', s.status) from ${submissions} s
        where s.period_id = ${open.id} and s.unit_id = ${officer.unitId})`,
    })
    .from(reportTemplates)
    .leftJoinLateral(open, sql`true`)
    // A report already started stays the officer's to finish, even once its template is archived.
    .where(
      sql`(${templateAsksSql(unit, officer.role)} or exists (select 1 from ${submissions} s join ${periods} p on p.id = s.period_id
        where p.template_id = ${reportTemplates.id} and p.closed_at is null and s.unit_id = ${officer.unitId} and s.status in ('in_progress', 'returned')))`,
    );
  const found: OpenReport[] = [];
  for (const row of rows) {
    let period = row.period && row.period.id !== null ? (row.period as Period) : undefined;
    let submission: { id: number; status: string } | null | undefined = row.submission;
    if (!period || !period.key.startsWith(today.slice(0, 4))) {
      // Periods of this year not made yet (a new year, a new template): as a report start does.
      period = await currentPeriod(tx, row.template, today);
      if (!period) continue;
      [submission] = await tx
        .select({ id: submissions.id, status: submissions.status })
        .from(submissions)
        .where(and(eq(submissions.periodId, period.id), eq(submissions.unitId, officer.unitId)));
    }
    if (!submitted && (submission?.status === "submitted" || submission?.status === "approved")) continue;
    const calendar = row.calendar.map(calendarEntry);
    const deadline = deadlinesForUnit(calendar, period, unit.path)[unit.level as ReportingLevel];
    found.push({
      template: row.template,
      period,
      deadline,
      late: today > deadline,
      title: reportTitle(row.template, period.key),
      ...(submission ? { submissionId: submission.id, status: submission.status } : {}),
    });
  }
  return found.sort((a, b) => a.deadline.localeCompare(b.deadline) || a.title.localeCompare(b.title, "vi"));
}

type CalendarRow = { scopePath: string | null; year: number; slot: string; level: ReportingLevel; deadline: string };

/** As reporting-calendar reads a calendar row (the year 0 = every year). */
const calendarEntry = (r: CalendarRow): CalendarEntry => ({
  scopePath: r.scopePath ?? undefined,
  year: r.year === 0 ? undefined : r.year,
  slot: r.slot,
  level: r.level,
  deadline: r.deadline,
});

function pick(open: OpenReport[], command: Extract<Command, { name: "start" }>): OpenReport | undefined {
  if (command.template !== undefined) return open.find((r) => r.template.id === command.template);
  if (command.index !== undefined) return open[command.index - 1];
  return undefined;
}

function notFound(open: OpenReport[], command: Extract<Command, { name: "start" }>): OutboundMessage {
  if (command.template !== undefined) return { text: "Báo cáo này không còn mở cho đơn vị anh/chị (đã nộp hoặc đã hết kỳ)." };
  return { text: `Anh/chị có ${open.length} báo cáo cần làm: gõ "báo cáo" để xem danh sách, rồi chọn số từ 1 đến ${open.length}.` };
}

/**
 * The officer's session, locked for this transaction (the row lock serialises concurrent messages
 * of one officer), with the status and answers of the report it points at. One round trip: this
 * runs for every message, and round trips are most of what a message costs.
 */
async function openSession(tx: Tx, officerId: number): Promise<{ state: SessionState; report?: { status: string; answers: Answers } }> {
  const [row] = await runStatement<{ state: SessionState; current: boolean; status: string | null; answers: [string, { v: unknown }][] | null }>(
    tx,
    OPEN_SESSION,
    [officerId],
  );
  if (!row) {
    // First message ever: create the row, then lock it like any other.
    await tx.insert(conversationSessions).values({ officerId, state: IDLE }).onConflictDoNothing();
    return openSession(tx, officerId);
  }
  // The lock waited for another message of this officer: the session is that message's, but the
  // answers were read as they stood before it. Read them again, now that nothing can change them.
  if (!row.current) return openSession(tx, officerId);
  if (row.status === null) return { state: row.state };
  return { state: row.state, report: { status: row.status, answers: new Map((row.answers ?? []).map(([key, value]) => [key, value.v])) } };
}

/**
 * A statement reads every table as of its start, except the rows it locks: after waiting for a
 * lock it gets their newest version. `current` says whether that is also the version the rest of
 * the statement saw (it is not when the lock waited for a writer that committed meanwhile).
 */
const OPEN_SESSION: Statement = {
  name: "conversation_open_session",
  text: `with locked as (select state, xmin::text as version from conversation_sessions where officer_id = $1 for update)
    select locked.state,
      locked.version = (select xmin::text from conversation_sessions where officer_id = $1) as current,
      s.status,
      (select json_agg(json_build_array(a.key, a.value)) from answers a where a.submission_id = s.id) as answers
    from locked left join submissions s on s.id = (locked.state -> 'report' ->> 'submissionId')::int`,
};

async function saveState(tx: Tx, officerId: number, state: SessionState): Promise<void> {
  await tx
    .update(conversationSessions)
    .set({ state, updatedAt: sql`now()` })
    .where(eq(conversationSessions.officerId, officerId));
}

function answerRows(submissionId: number, writes: AnswerWrite[], now: Date) {
  return writes.map((w) => ({
    submissionId,
    key: w.key,
    questionId: w.questionId,
    valueNum: typeof w.value === "number" ? w.value : null,
    value: { v: w.value },
    answeredAt: now,
  }));
}

const answerUpsert = {
  target: [answers.submissionId, answers.key],
  set: { value: sql`excluded.value`, valueNum: sql`excluded.value_num`, answeredAt: sql`excluded.answered_at` },
};

async function upsertAnswers(tx: Tx, submissionId: number, writes: AnswerWrite[], now: Date): Promise<void> {
  await tx
    .insert(answers)
    .values(answerRows(submissionId, writes, now))
    .onConflictDoUpdate(answerUpsert);
}

/** Answers, the submission's last change and the new session state, as one write for the caller to run. */
function answerStep(submissionId: number, officerId: number, writes: AnswerWrite[], state: SessionState, now: Date): HeldWrite {
  const rows = answerRows(submissionId, writes, now).map((r) => ({ key: r.key, question_id: r.questionId, value_num: r.valueNum, value: r.value }));
  return { write: SAVE_ANSWER_STEP, params: [officerId, submissionId, now.toISOString(), JSON.stringify(rows), JSON.stringify(state)] };
}

const SAVE_ANSWER_STEP: DeferrableWrite = {
  name: "conversation_save_answer_step",
  ctes: (p) => `answer_touched as (
      update submissions set updated_at = ${p(3)} where id = ${p(2)} returning id
    ), answer_written as (
      insert into answers (submission_id, key, question_id, value_num, value, answered_at)
      select ${p(2)}, w.key, w.question_id, w.value_num, w.value, ${p(3)}
      from jsonb_to_recordset(${p(4)}::jsonb) as w(key text, question_id text, value_num double precision, value jsonb)
      on conflict (submission_id, key) do update set value = excluded.value, value_num = excluded.value_num, answered_at = excluded.answered_at
      returning key
    ), answer_session as (
      update conversation_sessions set state = ${p(5)}::jsonb, updated_at = now() where officer_id = ${p(1)} returning officer_id
    )`,
};

async function loadAnswers(tx: Tx, submissionId: number): Promise<Answers> {
  const rows = await tx.select({ key: answers.key, value: answers.value }).from(answers).where(eq(answers.submissionId, submissionId));
  return new Map(rows.map((r) => [r.key, r.value.v]));
}

export type ConversationService = ReturnType<typeof createConversationService>;
