/**
 * How many messages of one channel may be on their way at once (sent, and not yet recorded as
 * sent). Each of them is a message that a crash would send twice, so the window is as small as
 * the platform's rate allows: by Little's law, `rate × (send + record time)` messages in flight
 * reach the rate, and no more are needed. On loopback that is one; to Telegram from Vietnam
 * (~150 ms a send) about five. The time is measured as messages go, so the window follows the
 * platform's speed; `max` bounds it (and the duplicates a crash can cause).
 */
export interface InFlightWindow {
  /** Waits until this message may go. */
  enter(): Promise<void>;
  /** The message is recorded (or given up); `tookMs` is how long it was on its way, if it was sent. */
  leave(tookMs?: number): void;
  /** The current bound, for logs and tests. */
  size(): number;
}

export function createInFlightWindow(perSecond: number, max: number): InFlightWindow {
  let inFlight = 0;
  let averageMs = 0;
  const waiting: (() => void)[] = [];
  const size = () => Math.min(max, Math.max(1, Math.ceil((perSecond * averageMs) / 1000)));
  const wake = () => {
    while (waiting.length > 0 && inFlight < size()) {
      inFlight++;
      waiting.shift()!();
    }
  };
  return {
    async enter() {
      if (inFlight < size() && waiting.length === 0) {
        inFlight++;
        return;
      }
      await new Promise<void>((ok) => waiting.push(ok));
    },
    leave(tookMs) {
      // A moving average: one slow send must not open the window wide, a slow platform must.
      if (tookMs !== undefined) averageMs = averageMs === 0 ? tookMs : 0.8 * averageMs + 0.2 * tookMs;
      inFlight--;
      wake();
    },
    size,
  };
}
