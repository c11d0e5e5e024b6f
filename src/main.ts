import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import type { PGlite } from "@electric-sql/pglite";
import type { UserFromGetMe } from "grammy/types";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { createDatabase, makePrivate, type Db, type Tx } from "./db/client.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics } from "./http/metrics.js";
import { createHttpApp } from "./http/app.js";
import { mountAdminApi } from "./http/admin-api.js";
import { mountSimulator, simulatorSender } from "./http/simulator.js";
import { mountInternalCli } from "./http/internal-cli.js";
import { guardTelegramWebhook } from "./http/telegram-webhook.js";
import { createFormRegistry } from "./forms/form-registry.js";
import { createConversationService } from "./conversations/session-service.js";
import { createSubmitReport } from "./conversations/submit-report.js";
import { createWebReportService } from "./web-form/web-report.js";
import { ensureReportingDefaults } from "./reporting/reporting-defaults.js";
import { createInboundHandler, type InboundHandler, type InboundPort } from "./bot/inbound.js";
import { createTelegramChannel } from "./bot/telegram.js";
import { createZaloBotChannel } from "./bot/zalo-bot.js";
import { createZaloOaChannel } from "./bot/zalo-oa.js";
import { createZaloOaClient } from "./bot/zalo-oa-client.js";
import { mountZaloRoutes, oaInfoImageUrl } from "./http/zalo-routes.js";
import { createOutbox, type ChannelSender } from "./delivery/outbox.js";
import { createPlanners, reminderTopic } from "./scheduler/planners.js";
import { otherChannel } from "./broadcasts/broadcasts.js";
import { seedCampaigns } from "./campaigns/seed-campaigns.js";
import { mountBroadcastsApi } from "./http/broadcasts-api.js";
import { mountIncidentsApi } from "./http/incidents-api.js";
import { mountTemplatesApi } from "./http/templates-api.js";
import { mountRequestsApi } from "./http/requests-api.js";
import { mountWeb } from "./http/web.js";
import { createSessions } from "./http/sessions.js";
import { mountAdminWeb } from "./http/admin/index.js";
import { createSettings } from "./delivery/settings.js";
import { createReviewService } from "./reporting/review.js";
import { createIncidentService } from "./incidents/incident-service.js";
import cron, { type ScheduledTask } from "node-cron";
import { demoSeedNeeded, seedDemo } from "./demo/demo-world.js";
import type { CliContext } from "./cli/commands.js";
import { runningService } from "./cli/service-file.js";
import { describeFailure } from "./db/errors.js";
import { sendStatementsUnnamed } from "./db/statement.js";
import { backupTo, createBackupSchedule, dumpPglite, type BackupSchedule } from "./backup/backups.js";

export interface ServiceOverrides {
  clock?: () => Date;
  logger?: Logger;
  /** Tests share one PGlite per file. */
  pglite?: PGlite;
  telegramBotInfo?: UserFromGetMe;
  /** Interval of the delivery worker; 0 = no worker (tests drive it). */
  workerIntervalMs?: number;
  /** Webhooks answer once the replies are sent, not at commit (in-process tests read them right after). */
  awaitReplies?: boolean;
}

/** Builds every part of baocao from config. Nothing starts until `start()`. */
export function createService(config: Config, overrides: ServiceOverrides = {}) {
  const clock = overrides.clock ?? (() => new Date());
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = createMetrics();
  const dataDir = resolve(config.DATA_DIR);
  const other = !config.DATABASE_URL && !overrides.pglite ? runningService(dataDir) : undefined;
  if (other) throw new Error(`Another baocao (pid ${other.pid}) is running on ${dataDir}; PGlite allows one process per data folder.`);
  const database = createDatabase({
    databaseUrl: config.DATABASE_URL,
    migrationUrl: config.DATABASE_MIGRATION_URL,
    dataDir: overrides.pglite ? undefined : join(dataDir, "pglite"),
    pglite: overrides.pglite,
  });
  const { db } = database;
  if (config.DATABASE_PREPARED_STATEMENTS === "off") sendStatementsUnnamed(db);
  // PGlite is backed up inside this process (its one connection); PostgreSQL with pg_dump, as the
  // tables' owner when there is one (the application role may not read every table).
  const pgliteOf = () => (db as unknown as { $client: PGlite }).$client;
  const backupSource = () => (database.kind === "pglite" ? { pglite: pgliteOf() } : { url: config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL! });
  const backups: BackupSchedule | undefined = config.BACKUP_DIR
    ? createBackupSchedule({
        dir: resolve(config.BACKUP_DIR),
        keep: config.BACKUP_KEEP,
        kind: database.kind,
        backup: (file) => backupTo(file, backupSource(), clock),
        clock,
        logger,
      })
    : undefined;
  const forms = createFormRegistry();

  // Channels come first: the outbox sends through their senders. What they receive goes to the
  // inbound handler, which writes to the outbox — so they reach it through this port, connected
  // once below, before anything starts (a message earlier would be a wiring bug, and says so).
  const connected: { handler?: InboundHandler } = {};
  const inboundPort: InboundPort = {
    handle: (msg) => (connected.handler ? connected.handler.handle(msg) : Promise.reject(new Error("inbound handler not connected yet"))),
  };
  const { telegram, zaloBot, zaloOa, zaloOaClient, infoImageUrl, senders } = buildChannels(config, {
    db,
    logger,
    clock,
    inbound: inboundPort,
    telegramBotInfo: overrides.telegramBotInfo,
    // A webhook that waits for its replies has the Bot API's send time (10 s per message) inside grammY's window.
    ...(overrides.awaitReplies ? { telegramWebhookTimeoutMs: 60_000 } : {}),
  });
  const quietHours = { start: config.QUIET_HOURS_START, end: config.QUIET_HOURS_END, timeZone: config.TZ_REPORTS };
  const outbox = createOutbox({
    db,
    senders,
    clock,
    logger,
    quietHours,
    rateLimits: {
      telegram: { perSecond: config.TELEGRAM_RATE_PER_SEC, perChatIntervalMs: config.TELEGRAM_CHAT_INTERVAL_MS },
      zalo_bot: { perSecond: config.ZALO_BOT_RATE_PER_SEC, perChatIntervalMs: 1000 },
      zalo_oa: { perSecond: config.ZALO_OA_RATE_PER_SEC, perChatIntervalMs: 500 },
    },
    staleAfterMs: config.OUTBOX_STALE_MS,
    maxInFlight: config.OUTBOX_MAX_IN_FLIGHT,
    onDelivered: (channel, status) => metrics.deliveries.inc({ channel, status }),
    fallback: (row) => otherChannel(db, row.officerId!, row.channel),
  });
  metrics.measureOutboxWith(() => outbox.queuedCount());
  // Links sent in chat point here: the configured public address, else this service's own — never a request's Host header.
  const publicOrigin = () => {
    if (config.PUBLIC_URL) return config.PUBLIC_URL;
    const host = ["0.0.0.0", "::", ""].includes(config.HOST) ? "localhost" : config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
    return `http://${host}:${port}`;
  };

  const incidents = createIncidentService({
    enqueue: (tx, rows) => outbox.enqueue(tx, rows),
    clock,
    timeZone: config.TZ_REPORTS,
    publicOrigin,
    ackMinutes: config.INCIDENT_ACK_MINUTES,
  });
  const onSubmitted = (tx: Tx, periodId: number, unitId: number) => outbox.cancelTopic(tx, reminderTopic(periodId, unitId));
  const webReport = createWebReportService({
    db,
    forms,
    clock,
    timeZone: config.TZ_REPORTS,
    publicOrigin,
    submitReport: createSubmitReport({ timeZone: config.TZ_REPORTS, onSubmitted }),
    ...(config.TELEGRAM_BOT_TOKEN ? { telegramBotToken: config.TELEGRAM_BOT_TOKEN } : {}),
    linkHours: config.WEB_FORM_LINK_HOURS,
  });
  const conversations = createConversationService({
    forms,
    clock,
    timeZone: config.TZ_REPORTS,
    incidents,
    onSubmitted,
    webLinks: webReport.linkFor,
  });
  const settings = createSettings({ db, quietHours });
  const planners = createPlanners({ db, outbox, clock, timeZone: config.TZ_REPORTS, logger, beforeTick: () => settings.load() });
  const inbound = createInboundHandler({
    db,
    conversations,
    outbox,
    clock,
    logger,
    supportContact: config.SUPPORT_CONTACT,
    incidents,
    onProcessed: (channel, outcome) => metrics.inboundEvents.inc({ channel, outcome }),
    awaitReplies: overrides.awaitReplies,
  });
  connected.handler = inbound;

  const telegramUsername = async () => {
    if (telegram) {
      try {
        return telegram.username() ?? (await telegram.init()).username;
      } catch {
        // Bot API unreachable: fall back to the configured name.
      }
    }
    return config.TELEGRAM_BOT_USERNAME;
  };
  const cliContext: Omit<CliContext, "readFile"> = {
    db,
    forms,
    clock,
    timeZone: config.TZ_REPORTS,
    inviteTtlHours: config.INVITE_TTL_HOURS,
    telegramUsername,
  };
  const cliToken = randomBytes(24).toString("hex");
  const sessions = createSessions({ db, clock, publicUrl: config.PUBLIC_URL });

  // Work started by a request that outlives it (sending a broadcast): awaited on stop.
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    const settled = p.finally(() => inflight.delete(settled));
    inflight.add(settled);
    return p;
  };

  const webhookReady = telegram && config.TELEGRAM_MODE === "webhook" && config.TELEGRAM_WEBHOOK_SECRET;
  let stopping = false;
  const app = createHttpApp({
    database,
    logger,
    metrics,
    metricsToken: config.METRICS_TOKEN,
    health: { ...(zaloOaClient ? { zaloOa: zaloOaClient.health } : {}), ...(backups ? { backup: backups.health } : {}) },
    channels: channelStates(config),
    stopping: () => stopping,
    webhooks: {
      "/webhooks/telegram": webhookReady ? guardTelegramWebhook(config.TELEGRAM_WEBHOOK_SECRET!, telegram!.webhook()) : undefined,
      "/webhooks/zalo": zaloBot && config.ZALO_BOT_MODE === "webhook" && config.ZALO_BOT_WEBHOOK_SECRET ? zaloBot.webhook : undefined,
      "/webhooks/zalo-oa": zaloOa && config.ZALO_OA_SECRET_KEY ? zaloOa.webhook : undefined,
    },
    mount: [
      mountAdminApi({ db, forms, sessions, adminToken: config.ADMIN_API_TOKEN, clock, timeZone: config.TZ_REPORTS }),
      mountBroadcastsApi({ db, adminToken: config.ADMIN_API_TOKEN, clock, planners, drain: () => track(outbox.drainOnce()) }),
      mountIncidentsApi({ db, adminToken: config.ADMIN_API_TOKEN, incidents, clock }),
      mountTemplatesApi({ db, forms, adminToken: config.ADMIN_API_TOKEN, clock }),
      mountRequestsApi({ db, forms, outbox, adminToken: config.ADMIN_API_TOKEN, clock, timeZone: config.TZ_REPORTS, drain: () => track(outbox.drainOnce()) }),
      mountWeb({
        db,
        clock,
        timeZone: config.TZ_REPORTS,
        publicOrigin,
        trustProxy: config.TRUST_PROXY,
        send: async (rows) => outbox.deliverNow(await outbox.enqueue(db, rows)),
        review: createReviewService({ forms, enqueue: (tx, rows) => outbox.enqueue(tx, rows) }),
        forms,
        sessions,
        webReport,
        adminBanners: async () => {
          const h = await zaloOaClient?.health();
          const b = await backups?.health();
          return [
            ...(h?.status === "degraded"
              ? [
                  `Zalo OA không gửi được tin: mã truy cập không làm mới được (${h.reason}). Quản trị viên OA cần cấp cặp mã mới (developers.zalo.me → Công cụ → API Explorer → OA Access Token), đặt vào ZALO_OA_ACCESS_TOKEN / ZALO_OA_REFRESH_TOKEN rồi khởi động lại baocao.`,
                ]
              : []),
            ...(b?.status === "degraded" ? [`Sao lưu tự động cần kiểm tra: ${b.reason}. Xem nhật ký của baocao và thư mục BACKUP_DIR.`] : []),
          ];
        },
        drainNotices: () =>
          outbox.drainOnce(50, "notice").catch((err) => logger.error({ err: describeFailure(err) }, "notice delivery failed; the worker retries")),
      }),
      mountAdminWeb({
        db,
        clock,
        timeZone: config.TZ_REPORTS,
        publicUrl: config.PUBLIC_URL,
        publicOrigin,
        sessions,
        incidents,
        outbox,
        planners,
        settings,
        forms,
        inviteTtlHours: config.INVITE_TTL_HOURS,
        telegramUsername,
        track,
      }),
      mountSimulator({ db, inbound, enabled: config.SIMULATOR === "on" }),
      mountInternalCli({ token: cliToken, context: cliContext, backup: database.kind === "pglite" ? () => dumpPglite(pgliteOf(), clock) : undefined }),
      mountZaloRoutes({ siteVerification: config.ZALO_SITE_VERIFICATION, oa: zaloOa !== undefined }),
    ],
  });

  let server: ServerType | undefined;
  let worker: { stop(): Promise<void> } | undefined;
  let cronTask: ScheduledTask | undefined;
  let incidentTask: ScheduledTask | undefined;
  let zaloTokenTask: ScheduledTask | undefined;
  let backupTask: ScheduledTask | undefined;
  let serviceFile: string | undefined;
  let port = config.PORT;

  async function start(): Promise<{ port: number }> {
    const t0 = performance.now();
    // DATA_DIR holds the whole database and the CLI's token: its owner's only (0700, files 0600).
    if (database.kind === "pglite" && !overrides.pglite) makePrivate(dataDir);
    await database.migrate();
    const { failedForms } = await ensureReportingDefaults(db, forms, clock());
    if (failedForms.length > 0) logger.error({ forms: failedForms }, "stored form versions that no longer compile (their reports cannot be opened)");
    if (config.DEMO_SEED === "auto" && (await demoSeedNeeded(db))) {
      logger.info(await seedDemo(db).then((s) => ({ demo: s.split("\n") })), "demo data created (first start, or moved out of real units)");
    }
    await seedCampaigns(db);
    await settings.load();
    const interval = overrides.workerIntervalMs ?? 1000;
    if (interval > 0) {
      worker = outbox.startWorker(interval);
      cronTask = cron.schedule(config.PLANNER_CRON, () => planners.tick(), { timezone: config.TZ_REPORTS, noOverlap: true });
      // Urgent cases are checked every minute: escalations and legal-clock reminders.
      incidentTask = cron.schedule(
        "* * * * *",
        async () => {
          try {
            await incidents.escalateDue(db);
            await incidents.remindClocks(db);
            await incidents.applyRetention(db, config.INCIDENT_RETENTION_DAYS);
            await outbox.drainOnce();
          } catch (err) {
            logger.error({ err: describeFailure(err) }, "incident checks failed");
          }
        },
        { timezone: config.TZ_REPORTS, noOverlap: true },
      );
      void planners.tick();
      if (backups) {
        const [hour, minute] = config.BACKUP_TIME.split(":").map(Number);
        // Tracked: a stop waits for a backup under way before it closes the database.
        backupTask = cron.schedule(`${minute} ${hour} * * *`, () => track(backups.run()), { timezone: config.TZ_REPORTS, noOverlap: true });
        // A first install, or one stopped over the last run, does not wait until tomorrow night.
        if (backups.due()) void track(backups.run());
      }
      if (zaloOaClient) {
        // Every hour; a refresh happens about once a day (tokenRefreshDue), under the row lock.
        const check = zaloOaClient.refreshIfDue;
        zaloTokenTask = cron.schedule("23 * * * *", () => void check(), { timezone: config.TZ_REPORTS, noOverlap: true });
        void check();
      }
    }

    if (telegram) {
      if (config.TELEGRAM_MODE === "polling") telegram.startPolling();
      else if (!config.TELEGRAM_WEBHOOK_SECRET) logger.warn("Telegram: TELEGRAM_WEBHOOK_SECRET is not set, the webhook is disabled");
      else logger.info("Telegram: webhook at POST /webhooks/telegram");
    } else {
      logger.info("Telegram is off: TELEGRAM_BOT_TOKEN is not set");
    }
    if (zaloBot) {
      if (config.ZALO_BOT_MODE === "polling") zaloBot.startPolling();
      else if (!config.ZALO_BOT_WEBHOOK_SECRET) logger.warn("Zalo Bot: ZALO_BOT_WEBHOOK_SECRET is not set, the webhook is disabled");
      else logger.info("Zalo Bot: webhook at POST /webhooks/zalo");
    }
    if (zaloOa) {
      if (!config.ZALO_OA_SECRET_KEY) logger.warn("Zalo OA: ZALO_OA_SECRET_KEY is not set, the webhook is disabled (sending still works)");
      else logger.info("Zalo OA: webhook at POST /webhooks/zalo-oa");
      if (!infoImageUrl)
        logger.warn(
          "Zalo OA: no image for the phone-sharing form (set ZALO_OA_INFO_IMAGE_URL, or an https PUBLIC_URL): officers are asked for their invite code instead",
        );
    }

    await new Promise<void>((ok) => {
      server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
        port = info.port;
        ok();
      });
    });
    if (database.kind === "pglite" && !overrides.pglite) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      serviceFile = join(dataDir, "service.json");
      writeFileSync(serviceFile, JSON.stringify({ pid: process.pid, port, token: cliToken }), { mode: 0o600 });
      chmodSync(serviceFile, 0o600); // the mode above applies only when the file is new (one left by a killed process keeps its own)
    }
    logger.info(
      { url: `http://localhost:${port}`, database: database.kind, startupMs: Math.round(performance.now() - t0) },
      `baocao listening on http://localhost:${port} (simulator: /simulator)`,
    );
    return { port };
  }

  /** Stops intake first, lets in-flight requests and the worker finish, then closes the database. */
  async function stop(): Promise<void> {
    stopping = true;
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    await telegram?.stop();
    await zaloBot?.stop();
    await cronTask?.stop();
    await incidentTask?.stop();
    await zaloTokenTask?.stop();
    await backupTask?.stop();
    await worker?.stop();
    // Replies on their way finish; those still waiting for their turn go back to the queue.
    await outbox.close();
    await Promise.allSettled([...inflight]);
    if (serviceFile) rmSync(serviceFile, { force: true });
    await database.close();
  }

  return { app, db, database, outbox, planners, incidents, inbound, telegram, zaloOa: zaloOaClient, metrics, logger, start, stop, port: () => port, forms };
}

export type Service = ReturnType<typeof createService>;

/**
 * The platforms this configuration turns on: each one's receiver (webhook or polling, handing
 * messages to `inbound`) and its sender, collected in one map the outbox is given and never changes.
 */
function buildChannels(
  config: Config,
  deps: { db: Db; logger: Logger; clock: () => Date; inbound: InboundPort; telegramBotInfo?: UserFromGetMe; telegramWebhookTimeoutMs?: number },
) {
  const { db, logger, clock, inbound } = deps;
  const telegram = config.TELEGRAM_BOT_TOKEN
    ? createTelegramChannel({
        token: config.TELEGRAM_BOT_TOKEN,
        apiRoot: config.TELEGRAM_API_ROOT,
        webhookSecret: config.TELEGRAM_WEBHOOK_SECRET,
        inbound,
        logger,
        botInfo: deps.telegramBotInfo,
        webhookTimeoutMs: deps.telegramWebhookTimeoutMs,
      })
    : undefined;
  const zaloBot = config.ZALO_BOT_TOKEN
    ? createZaloBotChannel({ token: config.ZALO_BOT_TOKEN, apiRoot: config.ZALO_BOT_API_ROOT, webhookSecret: config.ZALO_BOT_WEBHOOK_SECRET, inbound, logger })
    : undefined;
  const infoImageUrl = oaInfoImageUrl(config.ZALO_OA_INFO_IMAGE_URL, config.PUBLIC_URL);
  const zaloOaClient =
    config.ZALO_OA_SECRET_KEY || config.ZALO_OA_ACCESS_TOKEN
      ? createZaloOaClient({
          db,
          logger,
          clock,
          appId: config.ZALO_OA_APP_ID,
          appSecret: config.ZALO_APP_SECRET,
          apiRoot: config.ZALO_OA_API_ROOT,
          oauthRoot: config.ZALO_OAUTH_ROOT,
          initialAccessToken: config.ZALO_OA_ACCESS_TOKEN,
          initialRefreshToken: config.ZALO_OA_REFRESH_TOKEN,
        })
      : undefined;
  const zaloOa = zaloOaClient
    ? createZaloOaChannel({
        client: zaloOaClient,
        secretKey: config.ZALO_OA_SECRET_KEY,
        appId: config.ZALO_OA_APP_ID,
        maxEventAgeS: config.ZALO_OA_MAX_EVENT_AGE_S,
        infoImageUrl,
        clock,
        inbound,
        logger,
      })
    : undefined;
  const senders: Readonly<Record<string, ChannelSender>> = Object.freeze({
    simulator: simulatorSender,
    ...(telegram ? { telegram: telegram.sender } : {}),
    ...(zaloBot ? { zalo_bot: zaloBot.sender } : {}),
    ...(zaloOa ? { zalo_oa: zaloOa.sender } : {}),
  });
  return { telegram, zaloBot, zaloOa, zaloOaClient, infoImageUrl, senders };
}

/**
 * What /readyz says of the channels: each one's mode, and a problem for a channel that is
 * configured (its token set) but cannot receive, or for a service with no channel at all. Known
 * from the configuration alone; a platform that is down shows in the logs and the outbox, not here
 * (every instance would be unready together, and restarting would not help).
 */
export function channelStates(config: Config): { modes: Record<string, string>; problems: string[] } {
  const problems: string[] = [];
  const webhookOrPolling = (name: string, token: string | undefined, mode: "webhook" | "polling", secret: string | undefined, secretName: string) => {
    if (!token) return "off";
    if (mode === "webhook" && !secret) problems.push(`${name}: ${secretName} is not set, the webhook is disabled`);
    return mode;
  };
  const modes: Record<string, string> = {
    telegram: webhookOrPolling("telegram", config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_MODE, config.TELEGRAM_WEBHOOK_SECRET, "TELEGRAM_WEBHOOK_SECRET"),
    zalo_bot: webhookOrPolling("zalo_bot", config.ZALO_BOT_TOKEN, config.ZALO_BOT_MODE, config.ZALO_BOT_WEBHOOK_SECRET, "ZALO_BOT_WEBHOOK_SECRET"),
    zalo_oa: config.ZALO_OA_SECRET_KEY ? "webhook" : config.ZALO_OA_ACCESS_TOKEN ? "send only" : "off",
    simulator: config.SIMULATOR,
  };
  if (modes.zalo_oa === "send only") problems.push("zalo_oa: ZALO_OA_SECRET_KEY is not set, the webhook is disabled (sending still works)");
  if (Object.values(modes).every((m) => m === "off")) problems.push("no channel is configured (TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN, ZALO_OA_* or SIMULATOR=on)");
  return { modes, problems };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const service = createService(config);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ signal }, "stopping");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await service.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  await service.start();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
