import type { Db } from "../db/client.js";
import { runStatement, type Statement } from "../db/statement.js";

const MARK_SENT: Statement = {
  name: "outbox_mark_sent",
  text: `update outbox o set status = 'sent', sent_at = m.sent_at, platform_message_id = m.message_id, last_error = null
    from unnest($1::bigint[], $2::timestamptz[], $3::text[]) as m(id, sent_at, message_id)
    where o.id = m.id`,
};

/** Rows per statement: a broadcast's marks catch up in a few statements, each still short. */
const MAX_BATCH = 500;

interface Mark {
  id: number;
  sentAt: Date;
  platformMessageId: string | null;
  done: () => void;
  failed: (err: unknown) => void;
}

/**
 * Records sent messages as "sent", many rows per statement. Every message ends with this write,
 * one round trip each, and round trips are what a message costs most (bench:inbound). One
 * statement is on its way at a time; the marks that arrive meanwhile go together in the next, so
 * an idle service writes each mark at once and a busy one writes them by the dozen. A batch that
 * fails (a deadlock with stale recovery, a connection cut) is retried row by row, so one row's
 * trouble is not every row's; a mark that still fails leaves its row "sending", for stale recovery
 * to send again later — the same as a crash between sending and recording.
 */
export function createSentMarks(db: Db) {
  let waiting: Mark[] = [];
  let writing = false;

  async function write(batch: Mark[]): Promise<void> {
    try {
      await runStatement(db, MARK_SENT, columns(batch));
      for (const m of batch) m.done();
    } catch (err) {
      if (batch.length === 1) return batch[0]!.failed(err);
      for (const m of batch) {
        await runStatement(db, MARK_SENT, columns([m])).then(m.done, m.failed);
      }
    }
  }

  async function drain(): Promise<void> {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(batch.length);
      await write(batch);
    }
    writing = false;
  }

  return {
    mark(id: number, sentAt: Date, platformMessageId: string | null): Promise<void> {
      return new Promise<void>((done, failed) => {
        waiting.push({ id, sentAt, platformMessageId, done, failed });
        if (!writing) void drain();
      });
    },
  };
}

function columns(batch: Mark[]): [number[], string[], (string | null)[]] {
  return [batch.map((m) => m.id), batch.map((m) => m.sentAt.toISOString()), batch.map((m) => m.platformMessageId)];
}

export type SentMarks = ReturnType<typeof createSentMarks>;
