/**
 * A set of timers that can all be cleared at once. Every module that schedules anything
 * goes through one of these, so that `close()` provably leaves no handle behind (a Node
 * process using the SDK exits on its own, a browser tab leaks nothing).
 */
export type TimerHandle = ReturnType<typeof setTimeout>;

export class Timers {
  private readonly live = new Set<TimerHandle>();
  private closed = false;

  /** Runs `fn` once after `ms`; returns a handle for `clear`. No-op after `clearAll`. */
  set(fn: () => void, ms: number): TimerHandle | undefined {
    if (this.closed) return undefined;
    const h: TimerHandle = setTimeout(() => {
      this.live.delete(h);
      fn();
    }, Math.max(0, ms));
    this.live.add(h);
    return h;
  }

  clear(h: TimerHandle | undefined): void {
    if (h === undefined) return;
    clearTimeout(h);
    this.live.delete(h);
  }

  /** Number of timers pending (tests assert it is 0 after close). */
  get size(): number {
    return this.live.size;
  }

  /** Clears every pending timer and refuses new ones. */
  clearAll(): void {
    this.closed = true;
    for (const h of this.live) clearTimeout(h);
    this.live.clear();
  }
}

/**
 * A promise that resolves after `ms` on `timers`. Once the timers are cleared (the client
 * closed) it never resolves: the awaiting loop simply stops, holding no handle.
 */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timers.set(resolve, ms);
  });
}
