import { SeqCursor } from './cursor.js';
import { AsyncQueue, Emitter, type Listener } from './emitter.js';
import { ParleyError } from './errors.js';
import { newCid } from './ids.js';
import type { Outbox, OutboxEntry, SendAck } from './outbox.js';
import type { Timers } from './timers.js';
import { TypingSender, TypingTracker } from './typing.js';
import type {
  Ack, DeleteEvent, EditEvent, Frame, HistoryResult, JoinResult, MemberEvent, MsgEvent,
  PersistentEvent, ReactEvent, ReadEvent, RoomEvent, TypingEvent,
} from './types.js';
import { PERSISTENT_KINDS } from './types.js';

/** Emitted when a resume fell too far behind (`join` answered `gap: true`). */
export interface GapEvent {
  room: string;
  since: number;
  head: number;
}

export interface SendOptions {
  kind?: string;
  replyTo?: number;
  meta?: Record<string, unknown>;
  /** A cid of the app's own (e.g. to resend after a reload); default: a random one. */
  cid?: string;
}

export interface RoomEventMap {
  message: MsgEvent;
  edit: EditEvent;
  delete: DeleteEvent;
  react: ReactEvent;
  member: MemberEvent;
  typing: TypingEvent;
  read: ReadEvent;
  gap: GapEvent;
  event: RoomEvent;
  error: ParleyError;
}

/** What a room needs from its client (kept narrow so the room logic stays readable). */
export interface RoomHost {
  readonly timers: Timers;
  readonly outbox: Outbox;
  readonly user: string | undefined;
  /** Changes whenever a connection opens or ends: stale async work compares it. */
  readonly generation: number;
  readonly requestTimeoutMs: number;
  readonly typingThrottleMs: number;
  readonly typingIdleMs: number;
  isOpen(): boolean;
  isClosed(): boolean;
  /** A request on the open connection (rejects `disconnected` when there is none). */
  requestNow(t: string, fields: Record<string, unknown>, onReply?: (ok: Frame) => void): Promise<Frame>;
  /** A request that first waits (bounded) for an open connection. */
  request(t: string, fields: Record<string, unknown>): Promise<Frame>;
  /** A frame without id (fire and forget), dropped when not connected. */
  notify(frame: Frame): void;
  reportError(err: ParleyError): void;
  /** The user's read marker moved (the conversation list follows). */
  markedRead(room: string, seq: number): void;
}

const EVENT_NAME: Record<string, keyof RoomEventMap> = {
  msg: 'message', edit: 'edit', delete: 'delete', react: 'react', member: 'member', typing: 'typing', read: 'read',
};

interface Waiter {
  resolve: (r: JoinResult) => void;
  reject: (e: ParleyError) => void;
}

/** The handle of one room; `client.room(id)` always returns the same one. */
export class Room {
  private readonly cursor = new SeqCursor();
  private readonly emitter = new Emitter<RoomEventMap>();
  private readonly queues = new Set<AsyncQueue<RoomEvent>>();
  private readonly typingOut: TypingSender;
  private readonly typingIn: TypingTracker;
  private wanted = false;
  /** Generation in which a join was sent (one per connection unless forced). */
  private joinGen = -1;
  private lastJoin: JoinResult | undefined;
  /** Generation in which the last join completed. */
  private doneGen = -1;
  private waiters: Waiter[] = [];
  /** The user's read marker as wanted here (moves at once on markRead: what the UI shows). */
  private myRead = 0;
  /** The marker the broker is known to have (join reply, `read` events, answered `read`). */
  private ackedRead = 0;
  /** The `read` request on its way, if any (one per marker: later calls share it). */
  private readFlight: { seq: number; done: Promise<void> } | undefined;
  /** The broker refused the wanted marker for good: no automatic re-send until markRead. */
  private readRefused = false;
  private headSeq = 0;
  private readMarks: Record<string, number> = {};

  /** @internal Use `client.room(id)`. */
  constructor(
    readonly id: string,
    private readonly host: RoomHost,
  ) {
    this.typingOut = new TypingSender(
      host.timers,
      (on) => host.notify({ t: 'typing', room: id, on }),
      host.typingThrottleMs,
      host.typingIdleMs,
    );
    this.typingIn = new TypingTracker(host.timers, (e) => this.deliver(e));
  }

  get joined(): boolean { return this.wanted; }
  get lastSeq(): number { return this.cursor.lastSeq; }
  get head(): number { return this.headSeq; }
  get reads(): Readonly<Record<string, number>> { return this.readMarks; }
  get typingUsers(): readonly string[] { return this.typingIn.typingUsers; }
  get pending(): readonly OutboxEntry[] { return this.host.outbox.snapshot(this.id); }

  on<K extends keyof RoomEventMap>(type: K, fn: Listener<RoomEventMap[K]>): () => void {
    return this.emitter.on(type, fn);
  }

  once<K extends keyof RoomEventMap>(type: K, fn: Listener<RoomEventMap[K]>): () => void {
    return this.emitter.once(type, fn);
  }

  /** Every room event from now on, in order; `return()` (or `break`) stops it. */
  events(opts: { buffer?: number } = {}): AsyncIterableIterator<RoomEvent> {
    const q: AsyncQueue<RoomEvent> = new AsyncQueue(opts.buffer ?? 10000, () => this.queues.delete(q));
    this.queues.add(q);
    return q;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RoomEvent> {
    return this.events();
  }

  /**
   * Subscribes, and stays subscribed across reconnects (each re-join resumes from
   * `lastSeq`). Resolves once joined (after a gap was filled); rejects with `timeout` when
   * no connection opens within the request timeout (the room stays wanted: the next
   * connection joins it), or with the broker's error (`forbidden`, `not_found`).
   */
  join(opts: { since?: number } = {}): Promise<JoinResult> {
    if (this.host.isClosed()) return Promise.reject(new ParleyError('closed', 'client closed', { retryable: false }));
    const forced = opts.since !== undefined;
    if (forced) this.cursor.place(opts.since!);
    this.wanted = true;
    const current = this.doneGen === this.host.generation && this.joinGen === this.host.generation && this.host.isOpen();
    if (!forced && current && this.lastJoin) return Promise.resolve(this.lastJoin);
    const p = new Promise<JoinResult>((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      const timer = this.host.timers.set(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new ParleyError('timeout', `not joined within ${this.host.requestTimeoutMs} ms`, { retryable: true }));
      }, this.host.requestTimeoutMs);
      w.resolve = (r) => { this.host.timers.clear(timer); resolve(r); };
      w.reject = (e) => { this.host.timers.clear(timer); reject(e); };
      this.waiters.push(w);
    });
    if (forced) this.joinGen = -1;
    if (this.host.isOpen()) this.startJoin();
    return p;
  }

  async leave(): Promise<void> {
    this.wanted = false;
    this.joinGen = -1;
    this.lastJoin = undefined;
    this.typingOut.stop();
    this.settleWaiters(new ParleyError('closed', 'left the room', { retryable: false }));
    if (this.host.isOpen()) await this.host.requestNow('leave', { room: this.id });
  }

  /** Queues a message (see Outbox); resolves with the ack once the broker stored it. */
  send(body: string, opts: SendOptions = {}): Promise<SendAck> {
    if (typeof body !== 'string') return Promise.reject(new TypeError('parley: body must be a string'));
    if (this.host.isClosed()) return Promise.reject(new ParleyError('closed', 'client closed', { retryable: false }));
    this.typingOut.stop();
    return this.host.outbox.add({
      cid: opts.cid ?? newCid(), room: this.id, body, kind: opts.kind, reply_to: opts.replyTo, meta: opts.meta,
    });
  }

  async history(opts: { before?: number; after?: number; limit?: number } = {}): Promise<HistoryResult> {
    const ok = await this.host.request('history', { room: this.id, before: opts.before, after: opts.after, limit: opts.limit });
    return this.historyResult(ok);
  }

  edit(target: number, body: string): Promise<Ack> {
    return this.ack('edit', { target, body });
  }

  delete(target: number): Promise<Ack> {
    return this.ack('delete', { target });
  }

  react(target: number, emoji: string, on = true): Promise<Ack> {
    return this.ack('react', { target, emoji, on });
  }

  invite(user: string): Promise<Ack> {
    return this.ack('invite', { user });
  }

  remove(user: string): Promise<Ack> {
    return this.ack('remove', { user });
  }

  /** Call on every keystroke (throttled, stops by itself); a no-op while disconnected. */
  typing(): void {
    if (this.host.isOpen()) this.typingOut.typing();
  }

  stopTyping(): void {
    this.typingOut.stop();
  }

  /**
   * Moves the user's read marker forward (default: to the last processed event). Locally
   * (`reads`, the conversation list) at once; the promise settles with the broker's answer.
   * Nothing is sent when the broker already has a marker at or past `seq`. A marker that did
   * not reach the broker is sent again by the next call, and by itself after the next
   * (re)join or reconnect.
   */
  async markRead(seq: number = this.cursor.lastSeq): Promise<void> {
    if (this.host.isClosed()) throw new ParleyError('closed', 'client closed', { retryable: false });
    if (seq > this.myRead) this.wantRead(seq);
    if (seq <= this.ackedRead) return;
    this.readRefused = false;
    await this.pushRead();
  }

  // ---- called by the client ----

  /** @internal A connection opened: re-join if wanted, resuming from the cursor. */
  resume(): void {
    if (this.wanted) this.startJoin(); // re-sends the read marker once joined
    else this.flushRead();
  }

  /** @internal The connection ended: subscriptions and typing state went with it. */
  disconnected(): void {
    this.joinGen = -1;
    this.cursor.disconnected();
    this.typingOut.reset();
    this.typingIn.clear(this.id);
  }

  /** @internal An event frame for this room. */
  handleFrame(f: Frame): void {
    if (!this.wanted) return;
    const t = f.t as string;
    if (PERSISTENT_KINDS.has(t)) {
      for (const ev of this.cursor.offer(f as unknown as PersistentEvent)) this.deliverPersistent(ev);
    } else if (t === 'typing') {
      this.typingIn.handle(f as unknown as TypingEvent);
    } else if (t === 'read') {
      const ev = f as unknown as ReadEvent;
      if ((this.readMarks[ev.user] ?? 0) < ev.seq) this.readMarks = { ...this.readMarks, [ev.user]: ev.seq };
      if (ev.user === this.host.user) {
        // Stored by the broker (ours, or moved by another connection of the same user).
        this.ackedRead = Math.max(this.ackedRead, ev.seq);
        if (ev.seq > this.myRead) this.wantRead(ev.seq);
      }
      this.deliver(ev);
    }
  }

  /** @internal The client closed: iterators end, nothing is pending any more. */
  shutdown(err: ParleyError): void {
    this.typingOut.reset();
    this.settleWaiters(err);
    for (const q of [...this.queues]) q.end();
  }

  // ---- internals ----

  private startJoin(): void {
    const gen = this.host.generation;
    if (this.joinGen === gen) return; // already joining or joined on this connection
    this.joinGen = gen;
    const since = this.cursor.since();
    this.host
      .requestNow('join', { room: this.id, since }, (ok) => {
        // Synchronously, before the live events that follow the ok are handled.
        const head = Number(ok.head) || 0;
        this.headSeq = Math.max(this.headSeq, head);
        const me = this.host.user;
        if (ok.reads && typeof ok.reads === 'object') {
          const reads = { ...(ok.reads as Record<string, number>) };
          const theirs = me === undefined ? undefined : reads[me];
          if (me !== undefined && theirs !== undefined) {
            this.ackedRead = Math.max(this.ackedRead, theirs);
            if (theirs > this.myRead) this.wantRead(theirs);
          }
          // A marker wanted here and not stored yet stays visible (it is sent again below).
          if (me !== undefined && this.myRead > (theirs ?? 0)) reads[me] = this.myRead;
          this.readMarks = reads;
        }
        this.cursor.joined(head, ok.gap === true);
      })
      .then(async (ok) => {
        const result: JoinResult = {
          room: this.id, head: Number(ok.head) || 0, replayed: Number(ok.replayed) || 0, gap: ok.gap === true,
        };
        if (ok.reads) result.reads = ok.reads as Record<string, number>;
        if (result.gap) {
          this.emitter.emit('gap', { room: this.id, since: since ?? 0, head: result.head });
          if (!(await this.fillGap(gen, result.head))) return;
        }
        this.lastJoin = result;
        this.doneGen = gen;
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w.resolve(result);
        this.flushRead();
      })
      .catch((e: unknown) => this.joinFailed(gen, e));
  }

  private joinFailed(gen: number, e: unknown): void {
    if (gen !== this.host.generation || !this.wanted) return; // the next connection re-joins
    const err = e instanceof ParleyError ? e : new ParleyError('protocol', String(e));
    this.joinGen = -1;
    if (err.retryable) {
      this.host.timers.set(() => {
        if (this.wanted && gen === this.host.generation && this.host.isOpen()) this.startJoin();
      }, err.retryAfterMs ?? 1000);
      return;
    }
    // Refused for good (removed from the room, room gone): stop wanting it.
    this.wanted = false;
    this.settleWaiters(err);
    this.emitter.emit('error', err);
    this.host.reportError(err);
  }

  /**
   * Pages `history` forward from the cursor to the join head. Returns false when the
   * connection went away meanwhile (the next connection resumes from where this got).
   */
  private async fillGap(gen: number, head: number): Promise<boolean> {
    let after = this.cursor.lastSeq;
    try {
      for (;;) {
        const ok = await this.host.requestNow('history', { room: this.id, after, limit: 100 });
        if (gen !== this.host.generation) return false;
        const page = this.historyResult(ok);
        let top = after;
        for (const m of page.messages) {
          top = Math.max(top, m.seq);
          if (this.cursor.offerHistory(m.seq, head)) this.deliverPersistent({ ...m, fromHistory: true });
        }
        if (!page.more || page.messages.length === 0 || top >= head) break;
        after = top;
      }
    } catch (e) {
      if (gen !== this.host.generation) return false;
      // History refused (e.g. removed meanwhile): report, and go on with live events.
      const err = e instanceof ParleyError ? e : new ParleyError('protocol', String(e));
      this.emitter.emit('error', err);
      this.host.reportError(err);
    }
    for (const ev of this.cursor.endFill(head)) this.deliverPersistent(ev);
    return true;
  }

  /** The wanted marker moves (locally: `reads`, the conversation list). */
  private wantRead(seq: number): void {
    this.myRead = seq;
    const me = this.host.user;
    if (me && (this.readMarks[me] ?? 0) < seq) this.readMarks = { ...this.readMarks, [me]: seq };
    this.host.markedRead(this.id, seq);
  }

  /**
   * Sends the wanted marker unless the broker has it or a request for it (or a later one)
   * is on its way; resolves once the broker stored it.
   */
  private pushRead(): Promise<void> {
    const seq = this.myRead;
    if (seq <= this.ackedRead) return Promise.resolve();
    if (this.readFlight && this.readFlight.seq >= seq) return this.readFlight.done;
    const done = this.host.request('read', { room: this.id, seq }).then(
      () => {
        this.ackedRead = Math.max(this.ackedRead, seq);
      },
      (e: unknown) => {
        // Refused for good (not a member any more, …): re-sent only by an explicit call.
        if (e instanceof ParleyError && !e.retryable && seq >= this.myRead) this.readRefused = true;
        throw e;
      },
    );
    const flight = { seq, done };
    this.readFlight = flight;
    const clear = (): void => {
      if (this.readFlight === flight) this.readFlight = undefined;
    };
    done.then(clear, clear);
    return done;
  }

  /** After a (re)join or reconnect: the marker that did not reach the broker goes out now. */
  private flushRead(): void {
    if (this.readRefused || this.myRead <= this.ackedRead || !this.host.isOpen()) return;
    this.pushRead().catch(() => {
      // Retried after the next reconnect; the caller of markRead saw its own failure.
    });
  }

  private historyResult(ok: Frame): HistoryResult {
    const raw = Array.isArray(ok.messages) ? (ok.messages as MsgEvent[]) : [];
    return { messages: raw.map((m) => ({ ...m, t: 'msg', room: this.id })), more: ok.more === true };
  }

  private async ack(t: string, fields: Record<string, unknown>): Promise<Ack> {
    const ok = await this.host.request(t, { room: this.id, ...fields });
    return { room: this.id, seq: Number(ok.seq), ts: Number(ok.ts) };
  }

  private deliverPersistent(ev: PersistentEvent): void {
    this.headSeq = Math.max(this.headSeq, ev.seq);
    this.deliver(ev);
    if (ev.t === 'member' && ev.action === 'removed' && ev.user === this.host.user) {
      // The broker sends nothing more from this room; re-joining would be refused.
      this.wanted = false;
      this.joinGen = -1;
    }
  }

  private deliver(ev: RoomEvent): void {
    const name = EVENT_NAME[ev.t];
    if (name) this.emitter.emit(name, ev as never);
    this.emitter.emit('event', ev);
    for (const q of [...this.queues]) q.push(ev);
  }

  private settleWaiters(err: ParleyError): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(err);
  }
}
