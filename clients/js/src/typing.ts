import type { Timers, TimerHandle } from './timers.js';
import type { TypingEvent } from './types.js';

/**
 * Outgoing typing indicator. Apps call `typing()` on every keystroke; the broker lets an
 * `on` lapse after 6 s without a repeat, so one `on` every `throttleMs` (3 s) keeps it
 * alive at a fraction of the keystroke rate (each request costs a rate-limit token), and
 * `idleMs` without a keystroke sends `off` so the indicator ends promptly, not 6 s later.
 */
export class TypingSender {
  private active = false;
  private lastSentAt = -Infinity;
  private idle: TimerHandle | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly transmit: (on: boolean) => void,
    private readonly throttleMs = 3000,
    private readonly idleMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  typing(): void {
    const t = this.now();
    if (!this.active || t - this.lastSentAt >= this.throttleMs) {
      this.active = true;
      this.lastSentAt = t;
      this.transmit(true);
    }
    this.timers.clear(this.idle);
    this.idle = this.timers.set(() => this.stop(), this.idleMs);
  }

  stop(): void {
    this.timers.clear(this.idle);
    this.idle = undefined;
    if (!this.active) return;
    this.active = false;
    this.lastSentAt = -Infinity;
    this.transmit(false);
  }

  /** Forgets the state without sending (the connection is gone; the broker drops it too). */
  reset(): void {
    this.timers.clear(this.idle);
    this.idle = undefined;
    this.active = false;
    this.lastSentAt = -Infinity;
  }
}

/**
 * Incoming typing indicators of one room. The broker sends `on` repeatedly while someone
 * types and may never send `off` (a closed tab), so an `on` not repeated within `lapseMs`
 * (the broker's 6 s) ends here, with a synthetic `{on:false, lapsed:true}` event.
 */
export class TypingTracker {
  private readonly users = new Map<string, TimerHandle | undefined>();

  constructor(
    private readonly timers: Timers,
    private readonly emit: (e: TypingEvent) => void,
    private readonly lapseMs = 6000,
  ) {}

  get typingUsers(): string[] {
    return [...this.users.keys()];
  }

  handle(e: TypingEvent): void {
    const had = this.users.has(e.user);
    this.timers.clear(this.users.get(e.user));
    if (e.on) {
      this.users.set(
        e.user,
        this.timers.set(() => {
          this.users.delete(e.user);
          this.emit({ t: 'typing', room: e.room, user: e.user, on: false, lapsed: true });
        }, this.lapseMs),
      );
      this.emit(e);
    } else {
      this.users.delete(e.user);
      // An `off` for someone not shown as typing changes nothing the app could display.
      if (had) this.emit(e);
    }
  }

  /** Ends every indicator (the connection is gone: no `off` will come). */
  clear(room: string): void {
    for (const [user, h] of [...this.users]) {
      this.timers.clear(h);
      this.users.delete(user);
      this.emit({ t: 'typing', room, user, on: false, lapsed: true });
    }
  }
}
