import type { Db } from "../db/client.js";
import { createUnitDirectory, findUnit, ImportFileError, NATIONAL_CODE, nationalRoot, type Scheme } from "../directory/units.js";
import { createOfficerDirectory, findOfficerByPhone, OfficerNotFoundError } from "../directory/officers.js";
import { normalizePhone } from "../domain/phone.js";
import { officers } from "../db/schema/index.js";
import { eq } from "drizzle-orm";
import { formatImportReport } from "../directory/import-report.js";
import { seedDemo } from "../demo/demo-world.js";
import { ensureReportingDefaults } from "../reporting/reporting-defaults.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { findPeriod, periodStatus } from "../reporting/period-status.js";
import { formatDate, localDate } from "../domain/dates.js";
import { periodLabel, schemeForPeriod } from "../domain/periods.js";
import type { Channel } from "../db/schema/officers.js";
import { runTemplateCommand, TEMPLATE_USAGE } from "./template-commands.js";

export interface CliContext {
  db: Db;
  forms: FormRegistry;
  clock: () => Date;
  timeZone: string;
  inviteTtlHours: number;
  /** The Telegram bot's username, when known, for t.me deep links. */
  telegramUsername?: () => Promise<string | undefined>;
  /** File contents by the path given on the command line. */
  readFile: (path: string) => Promise<Buffer>;
}

export interface CliResult {
  output: string;
  exitCode: number;
  /** Files the command made (an exported template), written by the CLI where it runs. */
  files?: { path: string; base64: string }[];
}

export const USAGE = `baocao — lệnh quản trị

  npm run cli -- units import <tệp.csv> --scheme pre2025|post2025
      Nhập danh mục đơn vị hành chính (hoặc bảng chuyển đổi cũ→mới: nhận ra theo dòng tiêu đề).
  npm run cli -- officers import <tệp.csv|tệp.xlsx>
      Nhập cán bộ: name,phone,role,unit_code,scheme (hoặc Họ và tên,Số điện thoại,Vai trò,Mã đơn vị,Hệ mã).
  npm run cli -- officers invite <số điện thoại> [--channel telegram|zalo]
      Tạo mã mời dùng một lần để cán bộ liên kết tài khoản chat.
  echo '<mật khẩu>' | npm run cli -- officers set-password <số điện thoại>
      Đặt mật khẩu đăng nhập web cho quản trị viên (vai trò admin; ít nhất 12 ký tự; đọc từ stdin).
  npm run cli -- report status <kỳ, ví dụ 2026-H1> <mã đơn vị, VN: toàn quốc> [--scheme pre2025|post2025]
      Tình hình nộp báo cáo và số tổng hợp của các đơn vị trực thuộc.
${TEMPLATE_USAGE}
  npm run cli -- demo seed
      Tạo dữ liệu mẫu (danh mục đơn vị sau 2025 và vài cán bộ mẫu) cho trình mô phỏng.
  npm run cli -- backup <tệp>
      Sao lưu toàn bộ cơ sở dữ liệu (cả khi dịch vụ đang chạy) vào <tệp> và <tệp>.json (để đối chiếu).
  npm run cli -- restore <tệp>
      Khôi phục một bản sao lưu vào DATA_DIR mới, trống (PGlite) hoặc cơ sở dữ liệu mới, trống (PostgreSQL).`;

/** Runs one CLI command against a database; the same code runs in-process or inside the service. */
export async function runCommand(args: string[], ctx: CliContext): Promise<CliResult> {
  const { positional, flags } = parseArgs(args);
  const [group, action, ...rest] = positional;
  // Its own flags (--draft takes no value, --deadline several): parsed there.
  if (group === "templates") return runTemplateCommand(args, ctx);
  try {
    if (group === "units" && action === "import" && rest[0]) {
      const scheme = flags.scheme as Scheme | undefined;
      if (scheme !== undefined && scheme !== "pre2025" && scheme !== "post2025") return fail("--scheme phải là pre2025 hoặc post2025");
      const started = performance.now();
      const report = await createUnitDirectory({ db: ctx.db }).importFile(await ctx.readFile(rest[0]), rest[0], scheme);
      await ensureReportingDefaults(ctx.db, ctx.forms, ctx.clock());
      const what = report.kind === "mapping" ? "dòng chuyển đổi cũ → mới" : report.kind === "renames" ? "đơn vị đổi tên" : "đơn vị";
      return ok(`${formatImportReport(what, report)}\n(${Math.round(performance.now() - started)} ms)`);
    }
    if (group === "officers" && action === "import" && rest[0]) {
      const report = await officersDir(ctx).importFile(await ctx.readFile(rest[0]), rest[0]);
      return { output: formatImportReport("cán bộ", report), exitCode: report.imported === 0 && report.rejected.length > 0 ? 1 : 0 };
    }
    if (group === "officers" && action === "invite" && rest[0]) {
      const channel = parseChannel(flags.channel);
      if (!channel) return fail("--channel phải là telegram hoặc zalo");
      const { code, officer, expiresAt } = await officersDir(ctx).createInvite(rest[0], channel);
      const until = formatDate(localDate(expiresAt, ctx.timeZone));
      if (channel === "telegram") {
        const username = await ctx.telegramUsername?.();
        const link = username ? `https://t.me/${username}?start=${code}` : undefined;
        return ok(
          [
            `Mã mời cho ${officer.name}: ${code} (dùng một lần, hết hạn ${until}).`,
            link ? `Gửi đường dẫn này cho cán bộ: ${link}` : `Cán bộ mở bot Telegram của baocao và gửi: /start ${code}`,
          ].join("\n"),
        );
      }
      return ok(`Mã mời cho ${officer.name}: ${code} (dùng một lần, hết hạn ${until}).\nCán bộ mở bot Zalo của baocao và gửi tin nhắn: ${code}`);
    }
    if (group === "officers" && action === "set-password" && rest[0]) {
      const password = (await ctx.readFile("-")).toString("utf8").replace(/\r?\n$/, "");
      const phone = normalizePhone(rest[0]);
      const officer = phone ? await findOfficerByPhone(ctx.db, phone) : undefined;
      if (!officer) return fail(`Không có cán bộ nào đăng ký số ${rest[0]}.`);
      if (officer.role !== "admin")
        return fail("Chỉ quản trị viên (vai trò admin) được đăng nhập bằng mật khẩu; cán bộ khác đăng nhập bằng đường dẫn gửi qua chat.");
      if (password.length < 12) return fail("Mật khẩu cần ít nhất 12 ký tự.");
      // argon2 (a native addon) is loaded only here, not by every process that runs a command.
      const { hash } = await import("@node-rs/argon2");
      await ctx.db
        .update(officers)
        .set({ passwordHash: await hash(password) })
        .where(eq(officers.id, officer.id));
      return ok(`Đã đặt mật khẩu cho ${officer.name}.`);
    }
    if (group === "report" && action === "status" && rest[0] && rest[1]) {
      const period = await findPeriod(ctx.db, rest[0]);
      if (!period) return fail(`Không có kỳ báo cáo ${rest[0]}.`);
      const scheme = (flags.scheme as Scheme | undefined) ?? schemeForPeriod(period.endsOn);
      const unit = rest[1].toUpperCase() === NATIONAL_CODE ? nationalRoot(scheme) : await findUnit(ctx.db, scheme, rest[1]);
      if (!unit) return fail(`Không có đơn vị mã ${rest[1]} (${scheme}).`);
      const s = await periodStatus(ctx.db, period, unit, localDate(ctx.clock(), ctx.timeZone));
      const c = s.counts;
      const lines = [
        `${periodLabel(period.key)} — ${unit.name}`,
        `${c.units} xã: đã nộp ${c.submitted} (đúng hạn ${c.onTime}, trễ ${c.late}), đang làm ${c.inProgress}, chưa bắt đầu ${c.notStarted}, quá hạn chưa nộp ${c.overdue}`,
        "",
        ...s.children.map((ch) =>
          ch.status
            ? `  ${ch.code} ${ch.name}: ${statusText(ch.status, ch.late)}`
            : `  ${ch.code} ${ch.name}: đã nộp ${ch.counts.submitted}/${ch.counts.units}`,
        ),
      ];
      const sums = Object.entries(s.sums);
      if (sums.length > 0) lines.push("", "Số tổng hợp (báo cáo đã nộp):", ...sums.map(([k, v]) => `  ${k}: ${v}`));
      return ok(lines.join("\n"));
    }
    if (group === "demo" && action === "seed") {
      // The template first (the demo calendar belongs to it), and again after: the letters' calendars need the units just imported.
      await ensureReportingDefaults(ctx.db, ctx.forms, ctx.clock());
      const out = await seedDemo(ctx.db);
      await ensureReportingDefaults(ctx.db, ctx.forms, ctx.clock());
      return ok(out);
    }
    return { output: USAGE, exitCode: group === undefined || group === "help" ? 0 : 2 };
  } catch (err) {
    if (err instanceof ImportFileError || err instanceof OfficerNotFoundError) return fail(err.message);
    if (isNoFile(err)) return fail(`Không mở được tệp: ${(err as { path?: string }).path ?? ""}`);
    throw err;
  }
}

function officersDir(ctx: CliContext) {
  return createOfficerDirectory({ db: ctx.db, clock: ctx.clock, inviteTtlHours: ctx.inviteTtlHours });
}

function statusText(status: string, late: boolean | null | undefined): string {
  if (status === "submitted") return late ? "đã nộp (trễ hạn)" : "đã nộp đúng hạn";
  return status === "in_progress" ? "đang làm" : "chưa bắt đầu";
}

function parseChannel(v: string | undefined): Channel | undefined {
  if (v === undefined || v === "telegram") return "telegram";
  if (v === "zalo" || v === "zalo_bot") return "zalo_bot";
  if (v === "zalo_oa") return "zalo_oa";
  return undefined;
}

export function parseArgs(args: string[]): { positional: string[]; flags: Record<string, string> } {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2);
      if (v !== undefined) flags[k!] = v;
      else flags[k!] = args[++i] ?? "";
    } else positional.push(a);
  }
  return { positional, flags };
}

/** Paths of files a command reads ("-" = standard input), so the CLI can ship them to a running service. */
export function fileArguments(args: string[]): string[] {
  const { positional } = parseArgs(args);
  const [group, action, file] = positional;
  if (group === "officers" && action === "set-password") return ["-"];
  if (args[0] === "templates" && args[1] === "import" && args[2]) return [args[2]];
  return (group === "units" || group === "officers") && action === "import" && file ? [file] : [];
}

const ok = (output: string): CliResult => ({ output, exitCode: 0 });
const fail = (output: string): CliResult => ({ output, exitCode: 1 });
const isNoFile = (err: unknown) => typeof err === "object" && err !== null && (err as { code?: string }).code === "ENOENT";
