/**
 * Spaces sends to stay inside a platform's limits: at most `perSecond` messages overall and one
 * message per `perChatIntervalMs` to the same chat. Each send reserves the next free slot, so
 * many sends can be scheduled at once and still go out evenly. Hand-written because the kept
 * throttler (transformer-throttler/Bottleneck) wraps grammY only, and Zalo needs the same.
 */
export interface RateLimits {
  perSecond: number;
  perChatIntervalMs: number;
}

export function createRateLimiter(limits: RateLimits, now: () => number = () => performance.now()) {
  const interval = 1000 / limits.perSecond;
  let nextGlobal = 0;
  let pausedUntil = 0;
  const capacity = Math.max(1, Math.floor(limits.perSecond));
  const sentAt: number[] = [];
  const nextChat = new Map<string, number>();
  return {
    /**
     * Waits for this send's slot. Replies to an officer who just wrote skip the per-chat spacing:
     * platforms allow short bursts in a conversation, and a reply must not lag.
     */
    async acquire(chatId: string, opts: { burst?: boolean } = {}): Promise<void> {
      for (;;) {
        const t = now();
        // Slots keep to their grid: a send let through late (timers fire late, the process was
        // busy) does not push every later slot back, or a late millisecond per send would cost a
        // quarter of the rate at 300/s. A grid more than a few slots behind means the limiter was
        // idle: it restarts from now rather than bursting to make up.
        let slot = nextGlobal >= t - CATCH_UP_SLOTS * interval ? nextGlobal : t;
        if (!opts.burst) slot = Math.max(slot, nextChat.get(chatId) ?? 0);
        nextGlobal = slot + interval;
        nextChat.set(chatId, Math.max(nextChat.get(chatId) ?? 0, Math.max(slot, t) + limits.perChatIntervalMs));
        if (nextChat.size > 10_000) for (const [k, v] of nextChat) if (v < t) nextChat.delete(k);
        const wait = slot - t;
        if (wait > 0) await sleep(wait);
        // "Too many requests" arrived while this send waited for its slot: book again after the pause.
        if (now() < pausedUntil) continue;
        // Catching up bunches sends: also count the sends actually made in the last second, so no
        // second ever holds more than the platform allows.
        for (;;) {
          const n = now();
          while (sentAt.length > 0 && sentAt[0]! <= n - 1000) sentAt.shift();
          if (sentAt.length < capacity) {
            sentAt.push(n);
            return;
          }
          await sleep(sentAt[0]! + 1000 - n + 0.5);
        }
      }
    },
    /** The platform said "too many requests": nothing goes out before `ms` from now. */
    pause(ms: number): void {
      pausedUntil = Math.max(pausedUntil, now() + ms);
      nextGlobal = Math.max(nextGlobal, pausedUntil);
    },
  };
}

/** How many slots a late limiter may make up for at once. */
const CATCH_UP_SLOTS = 4;

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export type RateLimiter = ReturnType<typeof createRateLimiter>;
