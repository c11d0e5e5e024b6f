/**
 * A client that delivers updates the way Telegram does: it POSTs an update to the webhook and,
 * until it gets a 2xx, delivers the same update (same update_id) again after a short wait —
 * through a refused connection, a reset, a 5xx or a timeout. Every attempt is recorded so a test
 * can look at what the server answered while it was killed, restarting, or without its database.
 */
export interface Attempt {
  updateId: number;
  /** Date.now() when the request was sent and when it ended (answer, error or timeout). */
  start: number;
  end: number;
  /** HTTP status, or undefined when there was no answer. */
  status?: number;
  error?: string;
  timedOut: boolean;
}

export interface WebhookClientOptions {
  /** Where the server listens now; undefined while it is down (the attempt then fails like a refused connection). */
  url: () => string | undefined;
  secret: string;
  /** How long one attempt may take before the client gives up on it (Telegram waits about a minute; tests less). */
  timeoutMs?: number;
  /** Pause between attempts of one update. */
  retryDelayMs?: number;
}

export function createWebhookClient(opts: WebhookClientOptions) {
  const attempts: Attempt[] = [];
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retryDelayMs = opts.retryDelayMs ?? 100;
  let stopped = false;

  async function attempt(update: { update_id: number }): Promise<Attempt> {
    const start = Date.now();
    const base = opts.url();
    const a: Attempt = { updateId: update.update_id, start, end: start, timedOut: false };
    if (!base) {
      a.error = "server down";
    } else {
      try {
        const res = await fetch(`${base}/webhooks/telegram`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": opts.secret },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer();
        a.status = res.status;
      } catch (err) {
        a.timedOut = err instanceof Error && err.name === "TimeoutError";
        a.error = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err);
      }
    }
    a.end = Date.now();
    attempts.push(a);
    return a;
  }

  /** Delivers one update until the server accepts it; resolves with the number of attempts. */
  async function deliver(update: { update_id: number }): Promise<number> {
    for (let n = 1; ; n++) {
      if (stopped) throw new Error(`client stopped before update ${update.update_id} was accepted`);
      const a = await attempt(update);
      if (a.status !== undefined && a.status >= 200 && a.status < 300) return n;
      await new Promise((ok) => setTimeout(ok, retryDelayMs));
    }
  }

  return {
    deliver,
    attempts,
    /** Ends every delivery loop (after a failed test, so nothing keeps posting). */
    stop() {
      stopped = true;
    },
  };
}

export type WebhookClient = ReturnType<typeof createWebhookClient>;

/** Officers typing through `client`: each text is a new update_id after `firstUpdateId`, and every one sent is kept. */
export function officersTyping(client: WebhookClient, firstUpdateId: number) {
  let updateId = firstUpdateId;
  const sentUpdateIds: number[] = [];
  const say = (officer: { chatId: number }, text: string) => {
    const id = ++updateId;
    sentUpdateIds.push(id);
    return client.deliver(textMessage(id, officer.chatId, text));
  };
  return { say, sentUpdateIds };
}

/** A Telegram text message update from a private chat. */
export function textMessage(updateId: number, chatId: number, text: string) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "Cán bộ" },
      from: { id: chatId, is_bot: false, first_name: "Cán bộ" },
      text,
    },
  };
}
