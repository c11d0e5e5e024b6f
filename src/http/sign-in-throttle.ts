/**
 * Wrong passwords slow an account down instead of locking it: after a few failures each further
 * attempt must wait twice as long as the last (capped), so guessing is slow while the real admin,
 * who gets it right, waits seconds at most. Entries are forgotten a while after the last failure.
 * Hand-written (30 lines): rate-limit libraries count requests in windows, none grows a delay.
 */
export function createPasswordThrottle(opts: { clock: () => Date; freeFailures?: number; maxDelayMs?: number; forgetAfterMs?: number }) {
  const free = opts.freeFailures ?? 3;
  const maxDelayMs = opts.maxDelayMs ?? 60_000;
  const forgetAfterMs = opts.forgetAfterMs ?? 15 * 60_000;
  const failures = new Map<string, { count: number; lastAt: number }>();

  const sweep = (now: number) => {
    for (const [key, f] of failures) if (now - f.lastAt > forgetAfterMs) failures.delete(key);
  };
  const delayAfter = (count: number) => (count < free ? 0 : Math.min(maxDelayMs, 1000 * 2 ** (count - free)));

  return {
    /** Milliseconds this account must still wait before its next attempt is checked (0 = now). */
    waitMs(key: string): number {
      const now = opts.clock().getTime();
      sweep(now);
      const f = failures.get(key);
      return f ? Math.max(0, f.lastAt + delayAfter(f.count) - now) : 0;
    },
    failed(key: string): void {
      const now = opts.clock().getTime();
      const f = failures.get(key);
      failures.set(key, { count: (f?.count ?? 0) + 1, lastAt: now });
    },
    succeeded(key: string): void {
      failures.delete(key);
    },
    /** How many accounts are remembered (tests: entries expire). */
    size: () => failures.size,
  };
}
