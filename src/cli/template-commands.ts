import { basename } from "node:path";
import { eq } from "drizzle-orm";
import { reportTemplates } from "../db/schema/index.js";
import { systemActor } from "../directory/actor.js";
import { isAppError } from "../domain/app-error.js";
import { periodsOfYear, type Periodicity } from "../domain/periods.js";
import {
  archiveTemplate,
  exportTemplate,
  listTemplates,
  publishTemplate,
  setTemplateSchedule,
  uploadTemplate,
  type TemplateSchedule,
  type TemplateSummary,
} from "../templates/template-service.js";
import type { Db } from "../db/client.js";
import type { FormRegistry } from "../forms/form-registry.js";

/** What these commands use of the CLI's context (declared here: commands.ts imports this file). */
interface TemplateCliContext {
  db: Db;
  forms: FormRegistry;
  clock: () => Date;
  readFile: (path: string) => Promise<Buffer>;
}

interface CliResult {
  output: string;
  exitCode: number;
  files?: { path: string; base64: string }[];
}

export const TEMPLATE_USAGE = `  npm run cli -- templates import <tệp.xlsx> [--scope <mã đơn vị>] [--scheme pre2025|post2025] [--draft]
        [--every month|quarter|half-year|year] [--deadline commune=15/5,10/11 district=… province=…] [--cutoff 15/5,15/11]
      Nhập mẫu báo cáo XLSForm (phiên bản mới; công bố ngay trừ khi có --draft). Ngày hạn theo thứ tự các kỳ trong năm.
  npm run cli -- templates export <mã mẫu> <tệp.xlsx> [--version N]
      Xuất mẫu báo cáo ra XLSForm.
  npm run cli -- templates list | publish <mã mẫu> <phiên bản> | archive <mã mẫu>
      Danh sách mẫu; công bố một phiên bản; lưu trữ (không mở báo cáo mới, báo cáo đang làm vẫn làm tiếp).`;

const EVERY: Record<string, Periodicity> = { month: "monthly", quarter: "quarterly", "half-year": "half-yearly", year: "yearly" };
const LEVELS = ["commune", "district", "province"] as const;
const DEFAULT_REMINDERS = [-7, -3, -1, 0, 1, 3];

const ok = (output: string): CliResult => ({ output, exitCode: 0 });
const fail = (output: string): CliResult => ({ output, exitCode: 1 });

/** "15/5" → "15/05"; undefined when it is not a day of a month. */
function ddmm(text: string): string | undefined {
  const m = /^(\d{1,2})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const [d, mo] = [Number(m[1]), Number(m[2])];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(2000, mo, 0)).getUTCDate()) return undefined;
  return `${String(d).padStart(2, "0")}/${String(mo).padStart(2, "0")}`;
}

/**
 * `--every`, `--deadline`, `--cutoff` → a schedule, or the problem in words. The dates of a level
 * are the periods of the year in order (H1 then Y for the child-affairs report's rhythm).
 */
export function scheduleFromFlags(
  args: string[],
  current: { periodicity: Periodicity; reminderSteps: number[]; roles: string[] } | undefined,
): { schedule?: TemplateSchedule; problem?: string } {
  const every = valueOf(args, "every");
  const deadlineParts = deadlineArgs(args);
  const cutoffText = valueOf(args, "cutoff");
  if (every === undefined && deadlineParts.length === 0 && cutoffText === undefined) return {};
  if (every === "once") return { problem: "--every once (kỳ báo cáo một lần) chưa được hỗ trợ; hãy dùng --every year với một hạn nộp." };
  if (every !== undefined && !EVERY[every]) return { problem: "--every phải là month, quarter, half-year hoặc year." };
  const periodicity = every !== undefined ? EVERY[every]! : current?.periodicity;
  if (!periodicity) return { problem: "Cần --every month|quarter|half-year|year để đặt lịch cho mẫu mới." };
  const slots = periodsOfYear(periodicity, 2000).map((p) => p.slot);
  const deadlines: TemplateSchedule["deadlines"] = [];
  for (const part of deadlineParts) {
    const [level, dates] = part.split("=", 2) as [string, string | undefined];
    if (!(LEVELS as readonly string[]).includes(level) || !dates)
      return { problem: `--deadline: "${part}" cần dạng commune=15/5,10/11 (cấp commune, district hoặc province).` };
    const list = dates.split(",");
    if (list.length !== slots.length) return { problem: `--deadline ${level}: cần ${slots.length} ngày (các kỳ ${slots.join(", ")}), có ${list.length}.` };
    for (const [i, d] of list.entries()) {
      const day = ddmm(d);
      if (!day) return { problem: `--deadline ${level}: "${d}" không phải ngày/tháng.` };
      deadlines.push({ level: level as (typeof LEVELS)[number], slot: slots[i]!, deadline: day });
    }
  }
  const cutoff: Record<string, string> = {};
  if (cutoffText !== undefined) {
    const list = cutoffText.split(",");
    if (list.length !== slots.length) return { problem: `--cutoff: cần ${slots.length} ngày (các kỳ ${slots.join(", ")}), có ${list.length}.` };
    for (const [i, d] of list.entries()) {
      const day = ddmm(d);
      if (!day) return { problem: `--cutoff: "${d}" không phải ngày/tháng.` };
      cutoff[slots[i]!] = day;
    }
  }
  return { schedule: { periodicity, deadlines, cutoff, reminderSteps: current?.reminderSteps ?? DEFAULT_REMINDERS, roles: current?.roles ?? [] } };
}

function valueOf(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1] ?? "";
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** `--deadline commune=… district=…`: every level=dates after the flag (one argument or several). */
function deadlineArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a !== "--deadline" && !a.startsWith("--deadline=")) continue;
    const first = a === "--deadline" ? args[++i] : a.slice("--deadline=".length);
    if (first !== undefined) out.push(...first.split(/\s+/).filter(Boolean));
    while (args[i + 1] !== undefined && /^[a-z]+=/.test(args[i + 1]!)) out.push(args[++i]!);
  }
  return out;
}

/** The positional words of a templates command: flags and their values left out. */
function positionals(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--draft") continue;
    if (a === "--deadline") {
      i++;
      while (args[i + 1] !== undefined && /^[a-z]+=/.test(args[i + 1]!)) i++;
      continue;
    }
    if (a.startsWith("--")) {
      if (!a.includes("=")) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const STATUS: Record<string, string> = { draft: "bản nháp", published: "đang dùng", archived: "đã lưu trữ" };

function summaryLine(t: TemplateSummary): string {
  const version = t.publishedVersion !== null ? `v${t.publishedVersion}` : "chưa công bố";
  const draft = t.draftVersion !== null ? `, nháp v${t.draftVersion}` : "";
  const scope = t.scope ? `${t.scope.name} (${t.scope.code})` : "toàn quốc";
  const schedule = t.schedule ? t.schedule.periodicity : "chưa có lịch";
  return `${t.formId} ${version}${draft} (${STATUS[t.status]}) — ${t.title} — ${scope} — ${schedule}`;
}

/** `templates …`; the file to write (export) comes back in `files`, so the CLI writes it where it runs. */
export async function runTemplateCommand(args: string[], ctx: TemplateCliContext): Promise<CliResult> {
  const [, action, ...rest] = positionals(args);
  const scheme = valueOf(args, "scheme");
  if (scheme !== undefined && scheme !== "pre2025" && scheme !== "post2025") return fail("--scheme phải là pre2025 hoặc post2025");
  const service = { actor: systemActor("cli", scheme ?? "post2025"), db: ctx.db, clock: ctx.clock };
  const deps = { forms: ctx.forms };
  try {
    if (action === "import" && rest[0]) {
      const draft = args.includes("--draft");
      const { schedule, problem } = scheduleFromFlags(args, undefined);
      if (problem) return fail(problem);
      if (schedule && draft) return fail("Lịch chỉ đặt được cho mẫu đã công bố: bỏ --draft, hoặc đặt lịch khi công bố.");
      const made = await uploadTemplate(service, deps, {
        file: await ctx.readFile(rest[0]),
        fileName: basename(rest[0]),
        scope: valueOf(args, "scope"),
        scheme,
        publish: !draft,
      });
      const lines = [`${made.formId} v${made.version} (${made.status})`];
      if (schedule) {
        const [current] = await ctx.db.select().from(reportTemplates).where(eq(reportTemplates.id, made.formId));
        const merged = scheduleFromFlags(args, current?.scheduled ? current : undefined).schedule ?? schedule;
        await setTemplateSchedule(service, deps, { formId: made.formId, schedule: merged });
        lines.push(`Lịch: ${merged.periodicity}, ${merged.deadlines.length} hạn nộp.`);
      } else if (!draft) {
        const [current] = await ctx.db.select().from(reportTemplates).where(eq(reportTemplates.id, made.formId));
        if (current && !current.scheduled)
          lines.push("Mẫu chưa có lịch nên chưa mở kỳ báo cáo nào: nhập lại với --every … --deadline … hoặc đặt lịch trên trang /templates.");
      }
      return ok(lines.join("\n"));
    }
    if (action === "export" && rest[0] && rest[1]) {
      const v = valueOf(args, "version");
      const out = await exportTemplate(service, deps, { formId: rest[0], version: v === undefined ? undefined : Number(v) });
      return { output: `Đã xuất ${out.filename} → ${rest[1]}`, exitCode: 0, files: [{ path: rest[1], base64: out.body.toString("base64") }] };
    }
    if (action === "list") {
      const all = await listTemplates(service, deps);
      return ok(all.length ? all.map(summaryLine).join("\n") : "Chưa có mẫu báo cáo nào.");
    }
    if (action === "publish" && rest[0] && rest[1]) {
      if (!/^\d{1,7}$/.test(rest[1])) return fail("Phiên bản là một số, ví dụ: templates publish child-affairs 2");
      const { version } = await publishTemplate(service, deps, { formId: rest[0], version: Number(rest[1]) });
      return ok(`${rest[0]} v${version} (published)`);
    }
    if (action === "archive" && rest[0]) {
      await archiveTemplate(service, deps, { formId: rest[0] });
      return ok(`${rest[0]} đã lưu trữ: không mở báo cáo mới; báo cáo đang làm vẫn làm tiếp được.`);
    }
    return { output: TEMPLATE_USAGE, exitCode: 2 };
  } catch (err) {
    if (isAppError(err)) return fail([err.message, ...err.issues].join("\n"));
    throw err;
  }
}
