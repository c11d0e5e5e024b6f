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
  const capacity = Math.max(1, Math.floor(limits.perSecond));
  const sentAt: number[] = [];
  const nextChat = new Map<string, number>();
  return {
    /**
     * Waits for this send's slot. Replies to an officer who just wrote skip the per-chat spacing:
     * platforms allow short bursts in a conversation, and a reply must not lag.
     */
    async acquire(chatId: string, opts: { burst?: boolean } = {}): Promise<void> {
      const t = now();
      let slot = Math.max(t, nextGlobal);
      if (!opts.burst) slot = Math.max(slot, nextChat.get(chatId) ?? 0);
      nextGlobal = slot + interval;
      nextChat.set(chatId, Math.max(nextChat.get(chatId) ?? 0, slot + limits.perChatIntervalMs));
      if (nextChat.size > 10_000) for (const [k, v] of nextChat) if (v < t) nextChat.delete(k);
      const wait = slot - t;
      if (wait > 0) await sleep(wait);
      // Timers fire late when the process is busy, and late sends then bunch up: also count the
      // sends actually made in the last second, so a busy moment is never "caught up" in a burst.
      for (;;) {
        const n = now();
        while (sentAt.length > 0 && sentAt[0]! <= n - 1000) sentAt.shift();
        if (sentAt.length < capacity) {
          sentAt.push(n);
          return;
        }
        await sleep(sentAt[0]! + 1000 - n + 0.5);
      }
    },
    /** The platform said "too many requests": nothing goes out before `ms` from now. */
    pause(ms: number): void {
      nextGlobal = Math.max(nextGlobal, now() + ms);
    },
  };
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export type RateLimiter = ReturnType<typeof createRateLimiter>;
