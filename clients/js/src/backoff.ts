/**
 * Exponential back-off with full jitter (the delay is uniform in [0, min(cap, base·2^n)]).
 *
 * Why full jitter: after a broker restart every client reconnects at once; spreading each
 * client's delay over the whole window is what keeps the reconnect storm from arriving as
 * one synchronized wave on every step (see "Exponential Backoff And Jitter", AWS, 2015).
 */
export interface BackoffOptions {
  /** First window in ms (default 1000). */
  initialMs?: number;
  /** Largest window in ms (default 30000). */
  maxMs?: number;
  /** Source of randomness in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  /** Delays handed out since the last reset. */
  attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = Math.max(1, opts.initialMs ?? 1000);
    this.maxMs = Math.max(this.initialMs, opts.maxMs ?? 30000);
    this.random = opts.random ?? Math.random;
  }

  /** The current window (upper bound of the next delay). */
  window(): number {
    // 2^attempt overflows to Infinity long after the cap is reached; min() keeps it finite.
    return Math.min(this.maxMs, this.initialMs * Math.pow(2, this.attempt));
  }

  /** The next delay in ms; widens the window for the one after. */
  next(): number {
    const delay = Math.floor(this.random() * this.window());
    this.attempt++;
    return delay;
  }

  /** Makes the window at least `min` ms wide (e.g. after close 4008: back off harder). */
  atLeast(minMs: number): void {
    while (this.window() < Math.min(minMs, this.maxMs)) this.attempt++;
  }

  reset(): void {
    this.attempt = 0;
  }
}
