import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { outbox } from "../db/schema/index.js";
import type { OutboundMessage } from "../conversations/messages.js";
import type { Logger } from "../log.js";

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
  maxAttempts?: number;
  onDelivered?: (channel: string, status: string) => void;
}

export interface NewOutboxRow {
  officerId: number | null;
  channel: string;
  chatId: string;
  payload: OutboundMessage;
  kind?: string;
  dedupeKey?: string;
  notBefore?: Date;
}

/**
 * The outbox: every message baocao sends is a row first. Rows are claimed with
 * FOR UPDATE SKIP LOCKED, so two instances never send the same row.
 */
export function createOutbox(deps: OutboxDeps) {
  const { db, logger, clock } = deps;
  const maxAttempts = deps.maxAttempts ?? 8;

  async function enqueueReplies(tx: DbOrTx, rows: NewOutboxRow[]): Promise<number[]> {
    if (rows.length === 0) return [];
    const inserted = await tx
      .insert(outbox)
      .values(rows.map((r) => ({ ...r, kind: r.kind ?? "reply", notBefore: r.notBefore ?? clock() })))
      .onConflictDoNothing()
      .returning({ id: outbox.id });
    return inserted.map((r) => r.id);
  }

  /** Claims the given rows (or due rows) and marks them sending, in one short transaction. */
  async function claim(ids?: number[], limit = 50) {
    return db.transaction(async (tx) => {
      const due = await tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.status, "queued"), ids ? inArray(outbox.id, ids) : lte(outbox.notBefore, clock())))
        .orderBy(outbox.id)
        .limit(ids ? ids.length : limit)
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
      return tx
        .update(outbox)
        .set({ status: "sending", attempts: sql`${outbox.attempts} + 1`, claimedAt: clock() })
        .where(inArray(outbox.id, due.map((d) => d.id)))
        .returning();
    });
  }

  async function deliver(rows: Awaited<ReturnType<typeof claim>>): Promise<void> {
    // Messages to one chat must arrive in order: send them one after another.
    for (const row of rows) {
      const sender = deps.senders[row.channel];
      if (!sender) {
        await finish(row.id, { status: "failed", lastError: `no sender for channel ${row.channel}` }, row.channel);
        continue;
      }
      try {
        const res = await sender.send(row.chatId, row.payload);
        await finish(row.id, { status: "sent", sentAt: clock(), platformMessageId: res.platformMessageId ?? null, lastError: null }, row.channel);
      } catch (err) {
        const e = err instanceof DeliveryError ? err : new DeliveryError("retry", err instanceof Error ? err.message : String(err));
        if (e.kind !== "retry") {
          await finish(row.id, { status: e.kind, lastError: e.message }, row.channel);
        } else if (row.attempts >= maxAttempts) {
          await finish(row.id, { status: "failed", lastError: e.message }, row.channel);
        } else {
          const backoff = e.retryAfterMs ?? Math.min(60_000 * 2 ** (row.attempts - 1), 3_600_000);
          await db
            .update(outbox)
            .set({ status: "queued", lastError: e.message, notBefore: new Date(clock().getTime() + backoff) })
            .where(eq(outbox.id, row.id));
          logger.warn({ outboxId: row.id, channel: row.channel, err: e.message }, "delivery will be retried");
        }
      }
    }
  }

  async function finish(id: number, set: Partial<typeof outbox.$inferInsert>, channel: string) {
    await db.update(outbox).set(set).where(eq(outbox.id, id));
    deps.onDelivered?.(channel, String(set.status));
  }

  /** Sends freshly committed replies at once; failures stay queued for the worker. */
  async function deliverNow(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await deliver(await claim(ids));
    } catch (err) {
      logger.error({ err }, "immediate delivery failed; the worker will retry");
    }
  }

  /** One pass of the delivery worker over due rows. */
  async function drainOnce(limit = 50): Promise<number> {
    const rows = await claim(undefined, limit);
    await deliver(rows);
    return rows.length;
  }

  /**
   * Rows left in "sending" by a process that died mid-send go back to the queue. This is the
   * only way a message can be sent twice: the one in flight when the process was killed.
   */
  async function recoverStale(olderThanMs = 60_000): Promise<number> {
    const rows = await db
      .update(outbox)
      .set({ status: "queued" })
      .where(and(eq(outbox.status, "sending"), lte(outbox.claimedAt, new Date(clock().getTime() - olderThanMs))))
      .returning({ id: outbox.id });
    return rows.length;
  }

  function startWorker(intervalMs = 1000): { stop(): Promise<void> } {
    let stopped = false;
    let running: Promise<void> = Promise.resolve();
    const tick = async () => {
      if (stopped) return;
      try {
        while (!stopped && (await drainOnce()) > 0);
      } catch (err) {
        logger.error({ err }, "delivery worker pass failed");
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

  return { enqueueReplies, deliverNow, drainOnce, recoverStale, startWorker };
}

export type Outbox = ReturnType<typeof createOutbox>;
