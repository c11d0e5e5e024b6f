import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { runHeldWrite, runStatementWith, type HeldWrite, type Statement } from "../db/statement.js";
import { outbox } from "../db/schema/index.js";
import type { OutboundMessage } from "../domain/messages.js";
import type { Logger } from "../log.js";
import { nextAllowed, type QuietHours } from "../domain/quiet-hours.js";
import { createRateLimiter, type RateLimiter, type RateLimits } from "./rate-limiter.js";
import { createInFlightWindow, type InFlightWindow } from "./in-flight-window.js";
import { describeFailure } from "../db/errors.js";
import { createSentMarks } from "./sent-marks.js";

/** What a channel adapter does with one message; adapters translate platform errors to these. */
export interface ChannelSender {
  send(chatId: string, message: OutboundMessage): Promise<{ platformMessageId?: string }>;
}

export class DeliveryError extends Error {
  constructor(
    readonly kind: "retry" | "failed" | "unreachable" | "outside_window",
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

export interface OutboxDeps {
  db: Db;
  senders: Partial<Record<string, ChannelSender>>;
  clock: () => Date;
  logger: Logger;
  quietHours: QuietHours;
  /** Per channel; channels without an entry are not throttled (the simulator). */
  rateLimits?: Partial<Record<string, RateLimits>>;
  maxAttempts?: number;
  /**
   * A row left "sending" this long by a dead process goes back to the queue. It is also the lease
   * of a claim: a row still waiting for its turn after half of it renews the lease before it goes.
   */
  staleAfterMs?: number;
  /** Upper bound of messages on their way at once per channel (each a possible duplicate after a crash). */
  maxInFlight?: number;
  onDelivered?: (channel: string, status: string) => void;
  /** Another channel of the same officer to try when one is unreachable or outside its window. */
  fallback?: (row: OutboxRow) => Promise<{ channel: string; chatId: string } | undefined>;
}

export interface NewOutboxRow {
  officerId: number | null;
  channel: string;
  chatId: string;
  payload: OutboundMessage;
  kind?: string;
  dedupeKey?: string;
  topic?: string;
  notBefore?: Date;
  /** Urgent incident alerts are the only messages that ignore quiet hours. */
  urgent?: boolean;
}

export type OutboxRow = typeof outbox.$inferSelect;

const INSERT_CLAIMED: Statement = {
  name: "outbox_insert_claimed",
  text: `insert into outbox (officer_id, channel, chat_id, kind, payload, not_before, status, attempts, claimed_at)
    select r.officer_id, r.channel, r.chat_id, r.kind, r.payload, $1, 'sending', 1, $1
    from jsonb_to_recordset($2::jsonb) as r(officer_id int, channel text, chat_id text, kind text, payload jsonb)
    returning id, officer_id as "officerId", channel, chat_id as "chatId", kind, payload, dedupe_key as "dedupeKey", topic,
      not_before as "notBefore", status, attempts, last_error as "lastError", platform_message_id as "platformMessageId",
      created_at as "createdAt", claimed_at as "claimedAt", sent_at as "sentAt"`,
};

/**
 * The outbox: every message baocao sends is a row first. Rows are claimed with
 * FOR UPDATE SKIP LOCKED, so two instances never send the same row.
 */
export function createOutbox(deps: OutboxDeps) {
  const { db, logger, clock } = deps;
  const sentMarks = createSentMarks(db);
  const maxAttempts = deps.maxAttempts ?? 8;
  const limiters = new Map<string, RateLimiter>();
  const limiterOf = (channel: string) => {
    const limits = deps.rateLimits?.[channel];
    if (!limits) return undefined;
    if (!limiters.has(channel)) limiters.set(channel, createRateLimiter(limits));
    return limiters.get(channel);
  };
  const windows = new Map<string, InFlightWindow>();
  /** Throttled channels bound what is in flight; replies after commit have a window of their own (replyWindowOf). */
  const windowOf = (channel: string) => {
    const limits = deps.rateLimits?.[channel];
    if (!limits) return undefined;
    if (!windows.has(channel)) windows.set(channel, createInFlightWindow(limits.perSecond, deps.maxInFlight ?? 8));
    return windows.get(channel);
  };
  const leaseMs = deps.staleAfterMs ?? 60_000;

  /**
   * Records messages to send. Replies (kind "reply") answer the officer now; everything else
   * waits for the end of quiet hours. A dedupe key makes planning the same message twice a no-op.
   */
  async function enqueue(tx: DbOrTx, rows: NewOutboxRow[]): Promise<number[]> {
    if (rows.length === 0) return [];
    const values = rows.map(({ urgent, ...r }) => {
      const kind = r.kind ?? "reply";
      const due = r.notBefore ?? clock();
      return { ...r, kind, notBefore: urgent || kind === "reply" ? due : nextAllowed(due, deps.quietHours) };
    });
    const ids: number[] = [];
    for (let i = 0; i < values.length; i += 1000) {
      const inserted = await tx
        .insert(outbox)
        .values(values.slice(i, i + 1000))
        .onConflictDoNothing()
        .returning({ id: outbox.id });
      ids.push(...inserted.map((r) => r.id));
    }
    return ids;
  }

  /**
   * Replies to a message being applied: written already claimed by this process (status
   * "sending"), so they go out right after commit without a second transaction. If the process
   * dies first, stale recovery sends them.
   */
  async function enqueueClaimed(
    tx: DbOrTx,
    replies: Pick<NewOutboxRow, "officerId" | "channel" | "chatId" | "payload">[],
    held?: HeldWrite,
  ): Promise<OutboxRow[]> {
    if (replies.length === 0) {
      if (held) await runHeldWrite(tx, held);
      return [];
    }
    const values = replies.map((r) => ({ officer_id: r.officerId, channel: r.channel, chat_id: r.chatId, kind: "reply", payload: r.payload }));
    const inserted = await runStatementWith<OutboxRow & { id: string | number }>(tx, INSERT_CLAIMED, [clock().toISOString(), JSON.stringify(values)], held);
    return inserted.map((r) => ({ ...r, id: Number(r.id) })).sort((a, b) => a.id - b.id);
  }

  /** Claims the given rows (or due rows) and marks them sending, in one short transaction. */
  async function claim(ids?: number[], limit = 50, kind?: string): Promise<OutboxRow[]> {
    return db.transaction(async (tx) => {
      const due = await tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.status, "queued"), ids ? inArray(outbox.id, ids) : lte(outbox.notBefore, clock()), kind ? eq(outbox.kind, kind) : undefined))
        .orderBy(outbox.notBefore, outbox.id)
        .limit(ids ? ids.length : limit)
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
      const claimed = await tx
        .update(outbox)
        .set({ status: "sending", attempts: sql`${outbox.attempts} + 1`, claimedAt: clock() })
        .where(
          inArray(
            outbox.id,
            due.map((d) => d.id),
          ),
        )
        .returning();
      // UPDATE … RETURNING gives no order: messages to one chat must go out as they were written.
      return claimed.sort((a, b) => a.id - b.id);
    });
  }

  async function deliverOne(row: OutboxRow): Promise<void> {
    const sender = deps.senders[row.channel];
    if (!sender) {
      await finish(row, { status: "failed", lastError: `no sender for channel ${row.channel}` });
      return;
    }
    // A night-time retry of a non-urgent message waits for the morning too.
    if (row.kind !== "reply" && row.kind !== "alert") {
      const allowed = nextAllowed(clock(), deps.quietHours);
      if (allowed.getTime() > clock().getTime()) {
        await db
          .update(outbox)
          .set({ status: "queued", notBefore: allowed, attempts: sql`${outbox.attempts} - 1` })
          .where(eq(outbox.id, row.id));
        return;
      }
    }
    const limiter = limiterOf(row.channel);
    const window = row.kind === "reply" ? undefined : windowOf(row.channel);
    await window?.enter();
    let sentInMs: number | undefined;
    try {
      await limiter?.acquire(row.chatId, { burst: row.kind === "reply" });
      if (!(await stillOurs(row))) return;
      const started = performance.now();
      await sendAndRecord(row, sender, limiter);
      sentInMs = performance.now() - started;
    } finally {
      window?.leave(sentInMs);
    }
  }

  /**
   * A claim is a lease of OUTBOX_STALE_MS: after it, stale recovery may hand the row to another
   * worker. A row that waited past half of it (a long 429 pause, a large batch) renews the lease
   * before it is sent — and is not sent if the row was taken back meanwhile.
   */
  async function stillOurs(row: OutboxRow): Promise<boolean> {
    if (!row.claimedAt || clock().getTime() - row.claimedAt.getTime() <= leaseMs / 2) return true;
    const renewedAt = clock();
    const renewed = await db
      .update(outbox)
      .set({ claimedAt: renewedAt })
      .where(and(eq(outbox.id, row.id), eq(outbox.status, "sending"), eq(outbox.claimedAt, row.claimedAt)))
      .returning({ id: outbox.id });
    if (renewed.length === 0) return false;
    row.claimedAt = renewedAt;
    return true;
  }

  async function sendAndRecord(row: OutboxRow, sender: ChannelSender, limiter: RateLimiter | undefined): Promise<void> {
    try {
      const res = await sender.send(row.chatId, row.payload);
      await finish(row, { status: "sent", sentAt: clock(), platformMessageId: res.platformMessageId ?? null, lastError: null });
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError("retry", err instanceof Error ? err.message : String(err));
      if (e.kind === "unreachable" || e.kind === "outside_window") {
        await finish(row, { status: e.kind, lastError: e.message });
        await tryFallback(row);
      } else if (e.kind === "failed" || row.attempts >= maxAttempts) {
        await finish(row, { status: "failed", lastError: e.message });
      } else {
        if (e.retryAfterMs !== undefined) limiter?.pause(e.retryAfterMs);
        const backoff = e.retryAfterMs ?? Math.min(2_000 * 2 ** (row.attempts - 1), 3_600_000);
        await db
          .update(outbox)
          .set({ status: "queued", lastError: e.message, notBefore: new Date(clock().getTime() + backoff) })
          .where(eq(outbox.id, row.id));
        logger.warn({ outboxId: row.id, channel: row.channel, err: e.message, backoffMs: backoff }, "delivery will be retried");
      }
    }
  }

  async function tryFallback(row: OutboxRow): Promise<void> {
    if (!deps.fallback || row.officerId === null) return;
    const other = await deps.fallback(row);
    if (!other) return;
    await enqueue(db, [
      {
        officerId: row.officerId,
        channel: other.channel,
        chatId: other.chatId,
        payload: row.payload,
        kind: row.kind,
        dedupeKey: row.dedupeKey ? `${row.dedupeKey}>${other.channel}` : undefined,
        topic: row.topic ?? undefined,
        urgent: true,
      },
    ]);
  }

  /**
   * Sends claimed rows: different chats in parallel (each at its rate-limited slot), the rows of
   * one chat one after another, in order.
   */
  async function deliver(rows: OutboxRow[]): Promise<void> {
    const chains = new Map<string, Promise<void>>();
    for (const row of rows) {
      const key = `${row.channel}:${row.chatId}`;
      const prev = chains.get(key) ?? Promise.resolve();
      chains.set(
        key,
        prev.then(() =>
          deliverOne(row).catch((err) => {
            logger.error({ err: describeFailure(err), outboxId: row.id }, "delivery bookkeeping failed; the row will be recovered");
          }),
        ),
      );
    }
    await Promise.all(chains.values());
  }

  async function finish(row: OutboxRow, set: Partial<typeof outbox.$inferInsert>) {
    if (set.status === "sent") {
      // Every message ends here: marks go to the database many rows per statement.
      await sentMarks.mark(row.id, set.sentAt!, set.platformMessageId ?? null);
    } else {
      await db.update(outbox).set(set).where(eq(outbox.id, row.id));
    }
    deps.onDelivered?.(row.channel, String(set.status));
  }

  /** Sends freshly committed replies at once; failures stay queued for the worker. */
  async function deliverNow(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await deliver(await claim(ids));
    } catch (err) {
      logger.error({ err: describeFailure(err) }, "immediate delivery failed; the worker will retry");
    }
  }

  // Replies sent after commit, in the background of the request that wrote them. Each chat's
  // replies go one after another across requests (the tail of its chain is kept here), so an
  // officer who writes twice quickly reads the answers in order even when the first reply still
  // waits for its rate-limited slot.
  const chatTails = new Map<string, Promise<void>>();
  /** Claimed by this process, not yet on their way: their leases are renewed while they wait. */
  const waiting = new Map<number, OutboxRow>();
  /** Taken back by stale recovery while waiting (their lease could not be renewed): never sent from here. */
  const lost = new Set<number>();
  const sendsAfterCommit = new Set<Promise<void>>();
  let renewing: Promise<void> | undefined;
  let renewTimer: ReturnType<typeof setInterval> | undefined;
  let closing = false;
  /** Waits cut short by close(); one entry per wait in progress, removed when it ends. */
  const onClose = new Set<() => void>();
  const untilClosed = (p: Promise<void>): Promise<void> => {
    let cut!: () => void;
    const closed = new Promise<void>((ok) => onClose.add((cut = ok)));
    return Promise.race([p, closed]).finally(() => onClose.delete(cut));
  };
  const handedBack: OutboxRow[] = [];
  const replyWindows = new Map<string, InFlightWindow>();
  /**
   * Replies have an in-flight window of their own: it bounds what a crash could send twice, as
   * for everything else, without queueing a reply behind a broadcast waiting in the other one.
   */
  const replyWindowOf = (channel: string) => {
    const limits = deps.rateLimits?.[channel];
    if (!limits) return undefined;
    if (!replyWindows.has(channel)) replyWindows.set(channel, createInFlightWindow(limits.perSecond, deps.maxInFlight ?? 8));
    return replyWindows.get(channel);
  };

  /**
   * Sends rows written by enqueueClaimed, once their transaction has committed. Returns at once;
   * the promise settles when these rows are sent (or given back to the queue) and never rejects,
   * so a webhook need not wait for it: a burst is answered at commit while the replies leave at the
   * platform's rate. `close()` waits for what is on its way.
   */
  function deliverClaimed(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    if (closing) return track(handBack(rows));
    const done: Promise<void>[] = [];
    for (const row of rows) {
      waiting.set(row.id, row);
      const key = `${row.channel}:${row.chatId}`;
      const next = (chatTails.get(key) ?? Promise.resolve()).then(() =>
        sendAfterCommit(row).catch((err) => {
          logger.error({ err: describeFailure(err), outboxId: row.id }, "delivery bookkeeping failed; the row will be recovered");
        }),
      );
      chatTails.set(key, next);
      void next.then(() => {
        if (chatTails.get(key) === next) chatTails.delete(key);
      });
      done.push(next);
    }
    renewTimer ??= setInterval(() => void renewLeases(), Math.max(50, leaseMs / 4));
    renewTimer.unref();
    return track(Promise.all(done).then(() => undefined));
  }

  function track(p: Promise<void>): Promise<void> {
    sendsAfterCommit.add(p);
    void p.then(() => sendsAfterCommit.delete(p));
    return p;
  }

  async function sendAfterCommit(row: OutboxRow): Promise<void> {
    try {
      const sender = deps.senders[row.channel];
      if (!sender) return await finish(row, { status: "failed", lastError: `no sender for channel ${row.channel}` });
      const window = closing ? undefined : replyWindowOf(row.channel);
      await window?.enter();
      let sentInMs: number | undefined;
      try {
        const limiter = limiterOf(row.channel);
        // A slot can be far off in a burst (or after a 429): a stop does not wait for it.
        if (limiter && !closing) await untilClosed(limiter.acquire(row.chatId, { burst: true }));
        // A renewal in progress may be changing this row's lease: the row's fate is known after it.
        while (renewing) await renewing;
        if (lost.delete(row.id)) return;
        if (closing) return void handedBack.push(row);
        waiting.delete(row.id);
        if (!(await stillOurs(row))) return;
        const started = performance.now();
        await sendAndRecord(row, sender, limiter);
        sentInMs = performance.now() - started;
      } finally {
        window?.leave(sentInMs);
      }
    } finally {
      waiting.delete(row.id);
    }
  }

  /**
   * Replies waiting for their turn (a burst, a 429 pause) keep their claim: every quarter of the
   * lease, those whose claim is older than that renew it in one statement, so stale recovery never
   * takes a reply that is only queued here. A reply another worker took back meanwhile is dropped.
   */
  async function renewLeases(): Promise<void> {
    if (renewing || closing) return;
    if (waiting.size === 0) {
      clearInterval(renewTimer);
      renewTimer = undefined;
      return;
    }
    const now = clock();
    const due = [...waiting.values()].filter((r) => !r.claimedAt || now.getTime() - r.claimedAt.getTime() >= leaseMs / 4);
    if (due.length === 0) return;
    renewing = (async () => {
      try {
        const result = await db.execute(sql`update outbox o set claimed_at = ${now.toISOString()}::timestamptz
          from jsonb_to_recordset(${JSON.stringify(due.map((r) => ({ id: r.id, claimed_at: r.claimedAt?.toISOString() ?? null })))}::jsonb) as r(id bigint, claimed_at timestamptz)
          where o.id = r.id and o.status = 'sending' and o.claimed_at is not distinct from r.claimed_at
          returning o.id`);
        const renewed = new Set((result as unknown as { rows: { id: string | number }[] }).rows.map((r) => Number(r.id)));
        for (const r of due) {
          if (renewed.has(r.id)) r.claimedAt = now;
          else lost.add(r.id);
        }
      } catch (err) {
        // Each row checks its own lease before it is sent (stillOurs): nothing is sent twice.
        logger.warn({ err: describeFailure(err), rows: due.length }, "renewing the claims of waiting replies failed");
      } finally {
        renewing = undefined;
      }
    })();
    await renewing;
  }

  /** Waiting replies go back to the queue at once, for the next process (or another instance) to send. */
  async function handBack(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await db.execute(sql`update outbox o set status = 'queued', not_before = ${clock().toISOString()}::timestamptz, attempts = greatest(o.attempts - 1, 0)
        from jsonb_to_recordset(${JSON.stringify(rows.map((r) => ({ id: r.id, claimed_at: r.claimedAt?.toISOString() ?? null })))}::jsonb) as r(id bigint, claimed_at timestamptz)
        where o.id = r.id and o.status = 'sending' and o.claimed_at is not distinct from r.claimed_at`);
    } catch (err) {
      // Left "sending": stale recovery sends them after OUTBOX_STALE_MS.
      logger.warn({ err: describeFailure(err), rows: rows.length }, "could not give waiting replies back to the queue");
    }
  }

  /**
   * Stops the sends after commit: those on their way finish and are recorded, those still waiting
   * for their turn go back to the queue (nothing is lost, and a stop does not wait out a backlog).
   */
  async function close(): Promise<void> {
    closing = true;
    for (const cut of onClose) cut();
    clearInterval(renewTimer);
    renewTimer = undefined;
    while (renewing) await renewing;
    while (sendsAfterCommit.size > 0) await Promise.all([...sendsAfterCommit]);
    await handBack(handedBack.splice(0));
  }

  /**
   * Sends due urgent alerts now rather than at the worker's next pass. Like deliverClaimed it
   * never rejects and is tracked, so a webhook need not wait for it.
   */
  function flushUrgent(): Promise<void> {
    return track(
      drainOnce(100, "alert").then(
        () => undefined,
        (err) => logger.error({ err: describeFailure(err) }, "urgent alert delivery failed; the worker retries"),
      ),
    );
  }

  /** One pass of the delivery worker over due rows (optionally of one kind: urgent alerts). */
  async function drainOnce(limit = 200, kind?: string): Promise<number> {
    const rows = await claim(undefined, limit, kind);
    await deliver(rows);
    return rows.length;
  }

  /**
   * Rows left in "sending" by a process that died mid-send go back to the queue. This is the
   * only way a message can be sent twice: the one in flight when the process was killed.
   */
  async function recoverStale(olderThanMs = deps.staleAfterMs ?? 60_000): Promise<number> {
    const rows = await db
      .update(outbox)
      .set({ status: "queued" })
      .where(and(eq(outbox.status, "sending"), lte(outbox.claimedAt, new Date(clock().getTime() - olderThanMs))))
      .returning({ id: outbox.id });
    if (rows.length > 0) logger.warn({ count: rows.length }, "recovered messages left in flight by a stopped process");
    return rows.length;
  }

  /** Queued reminders about something that no longer needs them (a unit just submitted). */
  async function cancelTopic(tx: DbOrTx, topic: string): Promise<void> {
    await tx
      .update(outbox)
      .set({ status: "cancelled" })
      .where(and(eq(outbox.topic, topic), eq(outbox.status, "queued")));
  }

  async function queuedCount(): Promise<number> {
    const [row] = await db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(outbox)
      .where(eq(outbox.status, "queued"));
    return row?.n ?? 0;
  }

  function startWorker(intervalMs = 1000): { stop(): Promise<void> } {
    let stopped = false;
    let lastRecovery = 0;
    let running: Promise<void> = Promise.resolve();
    const drainLoop = async () => {
      while (!stopped && (await drainOnce(100)) > 0);
    };
    const tick = async () => {
      if (stopped) return;
      try {
        if (Date.now() - lastRecovery > 30_000) {
          lastRecovery = Date.now();
          await recoverStale();
        }
        // Two passes in flight: the next batch is claimed while the current one goes out, so a
        // large broadcast uses the platform's whole rate. Rows are disjoint (SKIP LOCKED).
        await Promise.all([drainLoop(), drainLoop()]);
      } catch (err) {
        logger.error({ err: describeFailure(err) }, "delivery worker pass failed");
      }
    };
    const timer = setInterval(() => {
      running = running.then(tick);
    }, intervalMs);
    timer.unref();
    return {
      async stop() {
        stopped = true;
        clearInterval(timer);
        await running;
      },
    };
  }

  return { enqueue, enqueueClaimed, deliverNow, deliverClaimed, close, flushUrgent, drainOnce, recoverStale, cancelTopic, queuedCount, startWorker };
}

export type Outbox = ReturnType<typeof createOutbox>;
