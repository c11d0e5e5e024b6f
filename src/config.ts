import { z } from "zod";

/** Empty strings in env files mean "unset", as most deploy tools write them. */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const urlWithoutTrailingSlash = optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+[^/]$/.test(v), "phải là URL http(s) không có dấu / ở cuối");

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), "phải bắt đầu bằng postgres:// hoặc postgresql://"),
  /**
   * PostgreSQL as the role that owns the tables, used only to migrate at start-up; DATABASE_URL is
   * then the application role, which owns nothing (docs/app-role.sql). Unset: DATABASE_URL migrates.
   */
  DATABASE_MIGRATION_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), "phải bắt đầu bằng postgres:// hoặc postgresql://"),
  /**
   * off: statements are sent unnamed, for PgBouncer in transaction pooling before 1.21 (or with
   * max_prepared_statements = 0), where a named statement prepared on one server connection is
   * missing on the next. on: the hot path's statements are prepared once per connection.
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(["on", "off"]).default("on"),
  DATA_DIR: z.string().default("./data"),
  /** Folder for the daily automatic backups (README, Backups); unset = no automatic backup. */
  BACKUP_DIR: optionalString,
  /** When the daily backup runs (local time, TZ_REPORTS). */
  BACKUP_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "dạng HH:MM")
    .default("02:30"),
  /** How many automatic backups BACKUP_DIR keeps; older ones are removed. */
  BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(14),
  PUBLIC_URL: urlWithoutTrailingSlash,
  TZ_REPORTS: z
    .string()
    .default("Asia/Ho_Chi_Minh")
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "không phải múi giờ IANA hợp lệ"),
  TELEGRAM_BOT_TOKEN: optionalString.refine((v) => v === undefined || /^\d+:[\w-]+$/.test(v), "không đúng dạng token của BotFather (<số>:<chuỗi>)"),
  TELEGRAM_WEBHOOK_SECRET: optionalString.refine(
    (v) => v === undefined || /^[A-Za-z0-9_-]{1,256}$/.test(v),
    "chỉ gồm A-Z, a-z, 0-9, _ và -, tối đa 256 ký tự (quy định của Telegram)",
  ),
  TELEGRAM_MODE: z.enum(["webhook", "polling"]).default("webhook"),
  TELEGRAM_API_ROOT: urlWithoutTrailingSlash,
  /** Bot username without "@", used for deep links when getMe is not reachable at start. */
  TELEGRAM_BOT_USERNAME: optionalString,
  /** Zalo Bot Platform (Zalo Bot Creator): static token "<bot_id>:<secret>". */
  ZALO_BOT_TOKEN: optionalString,
  ZALO_BOT_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || (v.length >= 8 && v.length <= 256), "8–256 ký tự (quy định của Zalo)"),
  ZALO_BOT_MODE: z.enum(["webhook", "polling"]).default("webhook"),
  ZALO_BOT_API_ROOT: urlWithoutTrailingSlash,
  /** No limit is documented for Zalo Bot: stay conservative. */
  ZALO_BOT_RATE_PER_SEC: z.coerce.number().positive().max(1000).default(8),
  /** Zalo Official Account (Open API v3). */
  ZALO_OA_APP_ID: optionalString,
  /** Key for the X-ZEvent-Signature of OA webhooks (the "OA secret key" of the app). */
  ZALO_OA_SECRET_KEY: optionalString,
  /** App secret, sent as the secret_key header when refreshing tokens. */
  ZALO_APP_SECRET: optionalString,
  /** First token pair (from the API Explorer); later pairs live in the database. */
  ZALO_OA_ACCESS_TOKEN: optionalString,
  ZALO_OA_REFRESH_TOKEN: optionalString,
  ZALO_OA_API_ROOT: urlWithoutTrailingSlash,
  ZALO_OAUTH_ROOT: urlWithoutTrailingSlash,
  /** The OA API allows 4,000 requests/minute. */
  ZALO_OA_RATE_PER_SEC: z.coerce.number().positive().max(1000).default(40),
  /**
   * An OA webhook whose timestamp is older than this is refused as a replay. Zalo redelivers an
   * unanswered event for about 1 h 51 min (30 s, 5, 15, 30 min, 1 h): the window must be longer.
   */
  ZALO_OA_MAX_EVENT_AGE_S: z.coerce.number().int().min(7200, "ít nhất 7200 (Zalo gửi lại sự kiện trong gần 2 giờ)").default(10_800),
  /**
   * Image of the OA's request-info form (Zalo refuses the form without a public image). Unset:
   * PUBLIC_URL/zalo/oa-info.png when PUBLIC_URL is https, else no form (the invite code only).
   */
  ZALO_OA_INFO_IMAGE_URL: optionalString.refine((v) => v === undefined || /^https:\/\/[^\s]+$/.test(v), "phải là URL https công khai"),
  /** The code of Zalo's domain verification: GET /zalo_verifier<code>.html serves its page. */
  ZALO_SITE_VERIFICATION: optionalString.refine(
    (v) => v === undefined || /^[A-Za-z0-9_-]{6,128}$/.test(v),
    "chỉ gồm A-Z, a-z, 0-9, _ và - (mã trong tên tệp zalo_verifier….html)",
  ),
  ADMIN_API_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "cần ít nhất 16 ký tự"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  INVITE_TTL_HOURS: z.coerce.number().positive().default(72),
  /** How long a «Điền trên web» link sent in chat opens the officer's report (a new one comes with every report start and "web"). */
  WEB_FORM_LINK_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 7)
    .default(24),
  /** Who an unregistered user should contact; shown in Vietnamese replies. */
  SUPPORT_CONTACT: z.string().default("cán bộ phụ trách công tác trẻ em của huyện/tỉnh"),
  /** Quiet hours (local time): nothing but urgent incident alerts is delivered in between. */
  QUIET_HOURS_START: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "dạng HH:MM")
    .default("21:00"),
  QUIET_HOURS_END: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "dạng HH:MM")
    .default("07:00"),
  /** Telegram allows about 30 messages/s per bot and 1/s per chat; aim a little under. */
  TELEGRAM_RATE_PER_SEC: z.coerce.number().positive().max(1000).default(29),
  TELEGRAM_CHAT_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
  /** When the planners run (node-cron syntax, in TZ_REPORTS). */
  PLANNER_CRON: z.string().default("*/5 * * * *"),
  /** A message left "sending" this long by a stopped process is sent again. */
  OUTBOX_STALE_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * At most this many messages per channel on their way at once (fewer when the platform answers
   * fast): each one could be sent twice if the process is killed before it is recorded as sent.
   */
  OUTBOX_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100).default(8),
  /** Minutes without acknowledgement before an urgent alert is repeated and escalated. */
  INCIDENT_ACK_MINUTES: z.coerce.number().positive().default(30),
  /** Closed cases older than this keep only statistics (type, unit, dates, age, sex). */
  INCIDENT_RETENTION_DAYS: z.coerce.number().int().positive().default(1825),
  /** on: the web chat simulator at /simulator (demo officers only); off: /simulator and its API answer 404. */
  SIMULATOR: z.enum(["on", "off"]).default("on"),
  /** Bearer token for GET /metrics (≥ 16 chars); unset = /metrics is open (set it in production). */
  METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "cần ít nhất 16 ký tự"),
  /**
   * Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated IPs, or
   * "loopback"); unset = the socket's address is the client's, whatever the headers say.
   */
  TRUST_PROXY: optionalString.transform((v) =>
    v === undefined
      ? []
      : v
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
  ),
  DEMO_SEED: z
    .enum(["auto", "off"])
    .default("auto")
    .describe("auto: create the demo world (its own tree, never a real unit) on first start, and move demo officers an older install left in real units"),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Cấu hình không hợp lệ:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment once; the only place in the code base that reads env vars. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`));
  }
  return parsed.data;
}
