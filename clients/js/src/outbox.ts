import { ParleyError } from './errors.js';
import type { Timers, TimerHandle } from './timers.js';
import type { Ack } from './types.js';

/**
 * The outbox: every `send` goes through it, connected or not.
 *
 * - Bounded (`limit` entries, queued and in flight together): a client that is offline for
 *   long refuses new messages with `outbox_full` rather than growing without limit.
 * - In order per room: only the oldest entry of a room is on the wire at a time. The broker
 *   processes requests concurrently, so two pipelined sends could be stored in either
 *   order; one at a time is the only way to keep the user's order.
 * - Retries keep the entry's `cid`, so a send whose ack was lost is stored once (the broker
 *   answers the original seq). Only non-retryable errors (forbidden, too_large, …) fail it.
 */

export interface OutboxEntry {
  cid: string;
  room: string;
  body: string;
  kind?: string;
  reply_to?: number;
  meta?: Record<string, unknown>;
  state: 'queued' | 'sending';
  /** Times it was put on the wire (WebSocket or HTTP). */
  attempts: number;
  /** When `send` was called (ms since epoch). */
  queuedAt: number;
}

export type NewEntry = Pick<OutboxEntry, 'cid' | 'room' | 'body' | 'kind' | 'reply_to' | 'meta'>;

export interface SendAck extends Ack {
  cid: string;
}

/** How entries leave: `ws` over the connection, `http` over the fallback endpoint. */
export type Route = 'ws' | 'http';

export interface OutboxTransport {
  /** The path a send can take right now, or undefined (disconnected and no fallback). */
  route(): Route | undefined;
  send(entry: Readonly<OutboxEntry>, route: Route): Promise<Ack>;
}

interface Item {
  view: OutboxEntry;
  promise: Promise<SendAck>;
  resolve: (ack: SendAck) => void;
  reject: (err: ParleyError) => void;
  /** Earliest time of the next attempt (rate limits, back-off after failures). */
  notBefore: number;
  removed: boolean;
}

/** Delay before retrying after `err` (the `attempts`-th failure in a row). */
export function retryDelay(err: ParleyError, route: Route, attempts: number, random: () => number = Math.random): number {
  if (err.retryAfterMs !== undefined) return err.retryAfterMs;
  // A lost WebSocket: the entry waits for the reconnect anyway (route() is undefined until
  // then), so there is nothing to wait for on top.
  if (route === 'ws' && err.code === 'disconnected') return 0;
  const window = Math.min(30000, 1000 * 2 ** Math.min(attempts - 1, 5));
  return Math.floor(window / 2 + (random() * window) / 2);
}

export class Outbox {
  private items: Item[] = [];
  private wake: TimerHandle | undefined;
  private wakeAt = Infinity;

  constructor(
    private readonly limit: number,
    private readonly transport: OutboxTransport,
    private readonly timers: Timers,
    private readonly onChange: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Copies of the entries, oldest first (callers may keep them; they do not change). */
  snapshot(room?: string): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const it of this.items) if (room === undefined || it.view.room === room) out.push({ ...it.view });
    return out;
  }

  add(msg: NewEntry): Promise<SendAck> {
    // The same cid twice (an app retrying by hand): one entry, one answer for both calls.
    const dup = this.items.find((it) => it.view.cid === msg.cid && it.view.room === msg.room);
    if (dup) return dup.promise;
    if (this.items.length >= this.limit) {
      return Promise.reject(new ParleyError('outbox_full', `outbox holds ${this.limit} unsent messages`, { retryable: false }));
    }
    let resolve!: (ack: SendAck) => void;
    let reject!: (err: ParleyError) => void;
    const promise = new Promise<SendAck>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const view: OutboxEntry = { ...msg, state: 'queued', attempts: 0, queuedAt: this.now() };
    for (const k of ['kind', 'reply_to', 'meta'] as const) if (view[k] === undefined) delete view[k];
    this.items.push({ view, promise, resolve, reject, notBefore: 0, removed: false });
    this.onChange();
    this.pump();
    return promise;
  }

  /** Puts the oldest waiting entry of every room on the wire, if a route is available. */
  pump(): void {
    const route = this.transport.route();
    if (!route) return;
    const now = this.now();
    const seen = new Set<string>();
    let nextWake = Infinity;
    for (const it of [...this.items]) {
      if (seen.has(it.view.room)) continue;
      seen.add(it.view.room);
      if (it.view.state === 'sending') continue;
      if (it.notBefore > now) {
        nextWake = Math.min(nextWake, it.notBefore);
        continue;
      }
      this.dispatch(it, route);
    }
    if (nextWake < Infinity) this.wakeUpAt(nextWake);
  }

  /** Rejects every entry (the client closed): nothing is sent any more. */
  failAll(err: ParleyError): void {
    const all = this.items;
    this.items = [];
    this.timers.clear(this.wake);
    this.wake = undefined;
    this.wakeAt = Infinity;
    for (const it of all) {
      it.removed = true;
      it.reject(err);
    }
    if (all.length > 0) this.onChange();
  }

  private dispatch(it: Item, route: Route): void {
    it.view.state = 'sending';
    it.view.attempts++;
    this.onChange();
    let sent: Promise<Ack>;
    try {
      sent = this.transport.send({ ...it.view }, route);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (ack) => {
        if (it.removed) return;
        this.remove(it);
        it.resolve({ room: ack.room, seq: ack.seq, ts: ack.ts, cid: it.view.cid });
        this.pump();
      },
      (e: unknown) => {
        if (it.removed) return;
        const err = e instanceof ParleyError ? e : new ParleyError('disconnected', String(e), { retryable: true, cause: e });
        if (err.retryable) {
          it.view.state = 'queued';
          it.notBefore = this.now() + retryDelay(err, route, it.view.attempts);
          this.onChange();
        } else {
          this.remove(it);
          it.reject(err);
        }
        this.pump();
      },
    );
  }

  private remove(it: Item): void {
    it.removed = true;
    const i = this.items.indexOf(it);
    if (i >= 0) this.items.splice(i, 1);
    this.onChange();
  }

  private wakeUpAt(t: number): void {
    if (this.wake !== undefined && this.wakeAt <= t) return;
    this.timers.clear(this.wake);
    this.wakeAt = t;
    this.wake = this.timers.set(() => {
      this.wake = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, t - this.now());
  }
}
