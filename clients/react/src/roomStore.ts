import { applyEvent } from '@parley/client';
import type { Ack, Client, MsgEvent, OutboxEntry, ParleyError, Room, RoomEvent, SendAck, SendOptions } from '@parley/client';

/** A stored message (a `msg` in its current state) with a stable React `key`. */
export interface ConfirmedMessage extends MsgEvent {
  /** `from/cid`: the same key as the message had while pending. */
  key: string;
  pending?: undefined;
}

/** A message of this user that the broker has not stored yet (or whose event is on its way). */
export interface PendingMessage {
  key: string;
  /** 'queued': waiting for a connection; 'sending': sent, no ack yet; 'sent': acked, its event
   *  has not arrived yet (it replaces this entry when it does). */
  pending: 'queued' | 'sending' | 'sent';
  room: string;
  cid: string;
  from: string;
  body: string;
  kind: string;
  /** When it was queued (local clock). */
  ts: number;
  reply_to?: number;
  meta?: Record<string, unknown>;
  /** Known once acknowledged. */
  seq?: number;
}

export type RoomMessage = ConfirmedMessage | PendingMessage;

export interface RoomState {
  /** Stored messages in `seq` order, then this user's pending ones in send order. */
  messages: readonly RoomMessage[];
  /** Other users typing now. */
  typingUsers: readonly string[];
  /** Read markers: user → last seq read (from the join reply and live `read` events). */
  reads: Readonly<Record<string, number>>;
  /** Subscribed to the room's live events. */
  joined: boolean;
  /** True until the latest messages are loaded and the room is joined (false once `error` is set). */
  loading: boolean;
  /** Older messages exist (see `loadOlder`). */
  hasMore: boolean;
  loadingOlder: boolean;
  /** Last seq of the room's log the client has seen. */
  head: number;
  /** The last failure of loading or joining, or an error the room reported (e.g. removed). */
  error: ParleyError | undefined;
}

export interface RoomActions {
  send(body: string, opts?: SendOptions): Promise<SendAck>;
  edit(target: number, body: string): Promise<Ack>;
  deleteMessage(target: number): Promise<Ack>;
  react(target: number, emoji: string, on?: boolean): Promise<Ack>;
  /** Moves this user's read marker (default: the last seq seen). */
  markRead(seq?: number): Promise<void>;
  /** Call on every keystroke: throttled typing indicator, ends by itself when idle. */
  typing(): void;
  stopTyping(): void;
  /** Loads one page of older messages (no-op while one loads or when there are none). */
  loadOlder(): Promise<void>;
}

const PAGE = 50;

/**
 * The state of one room for one client, shared by every `useRoom` of that room: loads the
 * latest page with `history`, then joins with `since` = its last seq, so that every event
 * after that page is replayed and nothing between the page and the live events is lost.
 * Left, and its messages forgotten, when the last hook using it unmounts.
 */
export class RoomStore {
  readonly room: Room;
  readonly actions: RoomActions;
  private confirmed: MsgEvent[] = [];
  private readonly keyed = new WeakMap<MsgEvent, ConfirmedMessage>();
  /** Sends made through this store, until their event is in `confirmed`. */
  private readonly mine = new Map<string, PendingMessage>();
  private state: RoomState;
  private readonly listeners = new Set<() => void>();
  private offs: Array<() => void> = [];
  private users = 0;
  private active = false;
  private loaded = false;
  /** Incremented when the store goes idle: work started before is dropped when it ends. */
  private epoch = 0;
  private loadingFor = -1;
  private hasMore = false;
  private loadingOlder = false;
  private error: ParleyError | undefined;
  private disposeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: Client,
    id: string,
  ) {
    this.room = client.room(id);
    this.state = this.compute(undefined);
    const room = this.room;
    this.actions = {
      send: (body, opts) => this.send(body, opts),
      edit: (target, body) => room.edit(target, body),
      deleteMessage: (target) => room.delete(target),
      react: (target, emoji, on = true) => room.react(target, emoji, on),
      markRead: (seq) => room.markRead(seq).finally(() => this.publish()),
      typing: () => room.typing(),
      stopTyping: () => room.stopTyping(),
      loadOlder: () => this.loadOlder(),
    };
  }

  readonly subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  readonly get = (): RoomState => this.state;

  /** Called by each mounted hook; returns its release. The first one loads and joins. */
  retain(): () => void {
    clearTimeout(this.disposeTimer);
    if (this.users++ === 0 && !this.active) this.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Deferred, so that an unmount followed at once by a mount (StrictMode, a moved
      // component) keeps the room joined instead of leaving and joining again.
      if (--this.users === 0) this.disposeTimer = setTimeout(() => this.dispose(), 0);
    };
  }

  private start(): void {
    this.active = true;
    this.offs = [
      this.room.on('event', (e) => this.onEvent(e)),
      this.room.on('error', (err) => {
        this.error = err;
        this.publish();
      }),
      this.client.on('outbox', () => this.publish()),
      // A load that failed while disconnected is retried when the connection is back.
      this.client.on('state', (e) => {
        if (e.state === 'open' && !this.loaded) void this.load();
      }),
    ];
    void this.load();
  }

  private dispose(): void {
    if (this.users > 0) return;
    this.active = false;
    for (const off of this.offs) off();
    this.offs = [];
    if (this.room.joined) this.room.leave().catch(() => {});
    // Forget the messages: the next hook loads them afresh (the room was not followed meanwhile).
    this.epoch++;
    this.confirmed = [];
    // Acked sends are stored: the next load finds them in history (no event comes meanwhile).
    for (const [cid, p] of this.mine) if (p.seq !== undefined) this.mine.delete(cid);
    this.loadingOlder = false;
    this.loaded = false;
    this.hasMore = false;
    this.error = undefined;
    this.state = this.compute(undefined);
  }

  private async load(): Promise<void> {
    const epoch = this.epoch;
    if (this.loadingFor === epoch || this.loaded) return;
    this.loadingFor = epoch;
    try {
      const wasJoined = this.room.joined;
      const page = await this.room.history({ limit: PAGE });
      if (epoch !== this.epoch) return;
      this.confirmed = mergeMessages(this.confirmed, page.messages);
      this.hasMore = page.more;
      if (!wasJoined) {
        // Replays every event after the page (edits, reactions, newer messages), then live.
        const since = page.messages.length > 0 ? page.messages[page.messages.length - 1]!.seq : 0;
        await this.room.join({ since });
        if (epoch !== this.epoch) return;
      }
      this.loaded = true;
      this.error = undefined;
    } catch (err) {
      if (epoch === this.epoch) this.error = err as ParleyError;
    } finally {
      if (this.loadingFor === epoch) this.loadingFor = -1;
      if (epoch === this.epoch) this.publish();
    }
  }

  private async loadOlder(): Promise<void> {
    const epoch = this.epoch;
    if (this.loadingOlder || !this.hasMore || !this.loaded) return;
    this.loadingOlder = true;
    this.publish();
    try {
      const first = this.confirmed[0]?.seq;
      const page = await this.room.history(first === undefined ? { limit: PAGE } : { before: first, limit: PAGE });
      if (epoch !== this.epoch) return;
      this.confirmed = mergeMessages(this.confirmed, page.messages);
      this.hasMore = page.more;
    } catch (err) {
      if (epoch === this.epoch) this.error = err as ParleyError;
    } finally {
      if (epoch === this.epoch) {
        this.loadingOlder = false;
        this.publish();
      }
    }
  }

  private send(body: string, opts: SendOptions = {}): Promise<SendAck> {
    const cid = opts.cid ?? newCid();
    const from = this.client.user ?? '';
    const entry: PendingMessage = {
      key: `${from}/${cid}`,
      pending: 'queued',
      room: this.room.id,
      cid,
      from,
      body,
      kind: opts.kind ?? 'text',
      ts: Date.now(),
      ...(opts.replyTo === undefined ? {} : { reply_to: opts.replyTo }),
      ...(opts.meta === undefined ? {} : { meta: opts.meta }),
    };
    this.mine.set(cid, entry);
    const promise = this.room.send(body, { ...opts, cid });
    this.publish();
    promise.then(
      (ack) => {
        const cur = this.mine.get(cid);
        // Its event may have come first (then it is gone from `mine` already). While no hook
        // follows the room no event will come: the next load finds it in history.
        if (cur && this.active) this.mine.set(cid, { ...cur, pending: 'sent', seq: ack.seq });
        else this.mine.delete(cid);
        this.publish();
      },
      () => {
        this.mine.delete(cid);
        this.publish();
      },
    );
    return promise;
  }

  private onEvent(e: RoomEvent): void {
    if (e.t === 'msg' || e.t === 'edit' || e.t === 'delete' || e.t === 'react') {
      this.confirmed = applyEvent(this.confirmed, e);
    }
    this.publish();
  }

  private publish(): void {
    this.state = this.compute(this.state);
    for (const fn of [...this.listeners]) fn();
  }

  private compute(prev: RoomState | undefined): RoomState {
    const room = this.room;
    const user = this.client.user ?? '';
    const messages: RoomMessage[] = this.confirmed.map((m) => this.withKey(m));
    // A send is shown once: as soon as its message is stored here (live event, history page,
    // gap fill), whatever the order of its ack and its event, the pending entry goes.
    const stored = new Set(messages.map((m) => m.key));
    for (const [cid, p] of this.mine) {
      // Sent before the client knew its user (no token yet): the sender is known now.
      if (p.from === '' && user !== '') this.mine.set(cid, { ...p, from: user, key: `${user}/${cid}` });
      if (stored.has(this.mine.get(cid)!.key)) this.mine.delete(cid);
    }
    const inOutbox = new Set(room.pending.map((e) => e.cid));
    // Acknowledged, event not here yet.
    const acked = [...this.mine.values()].filter((p) => p.seq !== undefined).sort((a, b) => a.seq! - b.seq!);
    messages.push(...acked);
    for (const e of room.pending) {
      const own = this.mine.get(e.cid);
      if (!own) {
        if (!stored.has(`${user}/${e.cid}`)) messages.push(pendingFromOutbox(e, user));
      } else if (own.seq === undefined) {
        const state: PendingMessage['pending'] = e.state === 'sending' ? 'sending' : 'queued';
        const cur: PendingMessage = own.pending === state ? own : { ...own, pending: state };
        this.mine.set(e.cid, cur);
        messages.push(cur);
      }
    }
    // Our sends that left the outbox and whose ack has not reached us yet.
    for (const p of this.mine.values()) {
      if (p.seq === undefined && !inOutbox.has(p.cid)) messages.push(p);
    }
    const typingUsers = sameArray(prev?.typingUsers, room.typingUsers) ? prev!.typingUsers : [...room.typingUsers];
    const reads = sameRecord(prev?.reads, room.reads) ? prev!.reads : { ...room.reads };
    return {
      messages: prev && sameArray(prev.messages, messages) ? prev.messages : messages,
      typingUsers,
      reads,
      joined: room.joined,
      loading: !this.loaded && this.error === undefined,
      hasMore: this.hasMore,
      loadingOlder: this.loadingOlder,
      head: Math.max(room.head, room.lastSeq),
      error: this.error,
    };
  }

  private withKey(m: MsgEvent): ConfirmedMessage {
    let k = this.keyed.get(m);
    if (!k) this.keyed.set(m, (k = { ...m, key: m.cid ? `${m.from}/${m.cid}` : `#${m.seq}` }));
    return k;
  }
}

/** An outbox entry of a send made outside this store (e.g. `room.send` directly). */
function pendingFromOutbox(e: OutboxEntry, user: string): PendingMessage {
  return {
    key: `${user}/${e.cid}`,
    pending: e.state === 'sending' ? 'sending' : 'queued',
    room: e.room,
    cid: e.cid,
    from: user,
    body: e.body,
    kind: e.kind ?? 'text',
    ts: e.queuedAt,
    ...(e.reply_to === undefined ? {} : { reply_to: e.reply_to }),
    ...(e.meta === undefined ? {} : { meta: e.meta }),
  };
}

/** Adds the messages of a history page that are not in `list` (live state wins), in seq order. */
function mergeMessages(list: MsgEvent[], page: readonly MsgEvent[]): MsgEvent[] {
  const have = new Set(list.map((m) => m.seq));
  const add = page.filter((m) => !have.has(m.seq));
  if (add.length === 0) return list;
  return [...list, ...add].sort((a, b) => a.seq - b.seq);
}

function sameArray<T>(a: readonly T[] | undefined, b: readonly T[]): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameRecord(a: Readonly<Record<string, number>> | undefined, b: Readonly<Record<string, number>>): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}

function newCid(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

const registry = new WeakMap<Client, Map<string, RoomStore>>();

/**
 * The store of `roomId` for `client`, created on first use and kept as long as the client
 * (idle, it holds no messages and no subscription): one store per room, so that two hooks of
 * one room can never join and leave it independently.
 */
export function roomStore(client: Client, roomId: string): RoomStore {
  let rooms = registry.get(client);
  if (!rooms) registry.set(client, (rooms = new Map()));
  let store = rooms.get(roomId);
  if (!store) rooms.set(roomId, (store = new RoomStore(client, roomId)));
  return store;
}
