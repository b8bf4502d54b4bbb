import { Backoff, type BackoffOptions } from './backoff.js';
import { jsonCodec, type Codec } from './codec.js';
import { Connection } from './connection.js';
import { Emitter, type Listener } from './emitter.js';
import { ParleyError, toParleyError } from './errors.js';
import { httpSend } from './http.js';
import { refreshDelay, type RefreshPolicy } from './jwt.js';
import { watchNetwork } from './network.js';
import { Outbox, type OutboxEntry, type Route } from './outbox.js';
import { PresenceBook } from './presence.js';
import { Requests } from './requests.js';
import { Room, type RoomHost } from './room.js';
import { RoomList } from './roomlist.js';
import { Timers, type TimerHandle } from './timers.js';
import { TokenSource, type GetToken } from './tokens.js';
import { toHttpBase, toWsUrl, type FetchLike, type WebSocketConstructorLike } from './transport.js';
import type { Ack, Frame, Hello, PresenceEvent, PresenceInfo, RoomSummary, RoomUpdateEvent } from './types.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** The WebSocket close code that caused the change, if any. */
  closeCode?: number;
  /** Why, if there was a failure. */
  error?: ParleyError;
  /** With `reconnecting`: the back-off delay before the next attempt. */
  retryInMs?: number;
}

export interface ConnectOptions {
  url: string;
  token?: string;
  getToken?: GetToken;
  WebSocket?: WebSocketConstructorLike;
  fetch?: FetchLike;
  codec?: Codec;
  httpUrl?: string;
  httpFallback?: boolean;
  httpFallbackAfter?: number;
  outboxLimit?: number;
  requestTimeoutMs?: number;
  backoff?: BackoffOptions;
  stableAfterMs?: number;
  refresh?: Partial<RefreshPolicy>;
  typing?: { throttleMs?: number; idleMs?: number };
  /**
   * Default true. Where `globalThis` fires the browser's `offline`/`online` events (windows,
   * workers): `offline` drops the connection at once (reported as close 1006, then
   * reconnecting) instead of waiting for the heartbeat; `online` retries at once instead of
   * waiting out the back-off. A no-op where there are no such events (Node).
   */
  networkEvents?: boolean;
}

export interface ClientEventMap {
  state: StateChange;
  error: ParleyError;
  room: RoomUpdateEvent;
  rooms: RoomSummary[];
  presence: PresenceEvent;
  outbox: readonly OutboxEntry[];
}

export interface CreateRoomOptions {
  room?: string;
  members: string[];
  title?: string;
  admins?: string[];
}

/** Creates a client and starts connecting (see API.md for the behaviour). */
export function connect(options: ConnectOptions): Client {
  return new Client(options);
}

/** Close 4008 (policy: abuse) asks for a real pause before coming back. */
const POLICY_BACKOFF_MS = 5000;

export class Client {
  private current: ConnectionState = 'connecting';
  private helloFrame: Hello | undefined;
  private conn: Connection | undefined;
  private gen = 0;
  private failedAttempts = 0;
  private needFreshToken = false;
  private serverOffsetMs = 0;
  private stableTimer: TimerHandle | undefined;
  private refreshTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private unwatchNetwork: (() => void) | undefined;
  private openWaiters = new Set<{ resolve: () => void; reject: (e: ParleyError) => void }>();
  private readonly emitter = new Emitter<ClientEventMap>();
  private readonly rooms_ = new Map<string, Room>();
  private readonly requests: Requests;
  private readonly backoff: Backoff;
  private readonly tokens: TokenSource;
  private readonly list: RoomList;
  private readonly book: PresenceBook;
  private readonly host: RoomHost;
  private readonly WS: WebSocketConstructorLike;
  private readonly url: string;
  private readonly httpBase: string;
  private readonly codec: Codec;
  private readonly refreshPolicy: RefreshPolicy;
  private readonly timeoutMs: number;
  private readonly timers = new Timers();
  private readonly outboxQueue: Outbox;

  /** @internal Use `connect(options)`. */
  constructor(private readonly opts: ConnectOptions) {
    if (!opts || typeof opts.url !== 'string') throw new TypeError('parley: connect() needs a url');
    if (!opts.token && !opts.getToken) throw new TypeError('parley: connect() needs token or getToken');
    const WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
    if (!WS) throw new TypeError('parley: no WebSocket available; pass the `WebSocket` option (e.g. from "ws")');
    this.WS = WS;
    this.url = toWsUrl(opts.url);
    this.httpBase = opts.httpUrl ?? toHttpBase(opts.url);
    this.codec = opts.codec ?? jsonCodec;
    this.timeoutMs = opts.requestTimeoutMs ?? 10000;
    this.refreshPolicy = { marginMs: opts.refresh?.marginMs ?? 60000, fraction: opts.refresh?.fraction ?? 0.8 };
    this.requests = new Requests(this.timers);
    this.backoff = new Backoff(opts.backoff);
    this.tokens = new TokenSource(opts.token, opts.getToken);
    this.outboxQueue = new Outbox(
      opts.outboxLimit ?? 1000,
      { route: () => this.route(), send: (e, r) => this.sendEntry(e, r) },
      this.timers,
      () => this.emitter.emit('outbox', this.outboxQueue.snapshot()),
    );
    this.list = new RoomList((rows) => this.emitter.emit('rooms', rows.slice()), () => this.refetchRooms());
    this.book = new PresenceBook((e) => this.emitter.emit('presence', e));
    this.host = this.makeHost();
    if (opts.networkEvents !== false) {
      this.unwatchNetwork = watchNetwork({ offline: () => this.onOffline(), online: () => this.onOnline() });
    }
    void this.attempt();
  }

  get state(): ConnectionState { return this.current; }
  get hello(): Hello | undefined { return this.helloFrame; }
  /** From `hello`; before that, the `sub` of the token (see TokenSource.user). */
  get user(): string | undefined {
    return this.helloFrame?.user ?? this.tokens.user;
  }
  get outbox(): readonly OutboxEntry[] { return this.outboxQueue.snapshot(); }
  get roomList(): readonly RoomSummary[] { return this.list.list; }

  on<K extends keyof ClientEventMap>(type: K, fn: Listener<ClientEventMap[K]>): () => void {
    return this.emitter.on(type, fn);
  }

  once<K extends keyof ClientEventMap>(type: K, fn: Listener<ClientEventMap[K]>): () => void {
    return this.emitter.once(type, fn);
  }

  room(id: string): Room {
    let r = this.rooms_.get(id);
    if (!r) this.rooms_.set(id, (r = new Room(id, this.host)));
    return r;
  }

  async createRoom(opts: CreateRoomOptions): Promise<string> {
    const ok = await this.request('create', { room: opts.room, members: opts.members, title: opts.title, admins: opts.admins });
    return String(ok.room);
  }

  /** Fetches the conversation list and keeps `roomList` current from then on. */
  async rooms(opts: { limit?: number } = {}): Promise<RoomSummary[]> {
    this.list.limit = opts.limit;
    const since = this.list.mark();
    const ok = await this.request('rooms', { limit: opts.limit });
    const rows = Array.isArray(ok.rooms) ? (ok.rooms as RoomSummary[]) : [];
    if (this.list.set(rows, since)) this.refetchRooms();
    return rows.map((r) => ({ ...r }));
  }

  subscribePresence(users: string[]): Promise<PresenceInfo[]> {
    return this.book.subscribe(users, (chunk) => this.request('presence', { users: chunk }));
  }

  presence(user: string): PresenceInfo | undefined {
    return this.book.get(user);
  }

  /** Resolves when the connection is open; rejects with `timeout` or `closed`. */
  whenOpen(timeoutMs: number = this.timeoutMs): Promise<void> {
    if (this.current === 'open') return Promise.resolve();
    if (this.current === 'closed') return Promise.reject(new ParleyError('closed', 'client closed', { retryable: false }));
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve: () => { this.timers.clear(timer); this.openWaiters.delete(w); resolve(); },
        reject: (e: ParleyError) => { this.timers.clear(timer); this.openWaiters.delete(w); reject(e); },
      };
      const timer = this.timers.set(
        () => w.reject(new ParleyError('timeout', `not connected within ${timeoutMs} ms`, { retryable: true })),
        timeoutMs,
      );
      this.openWaiters.add(w);
    });
  }

  async ping(): Promise<void> {
    await this.request('ping', {});
  }

  /** A raw request: waits (bounded) for an open connection, resolves with the `ok` frame. */
  async request(t: string, fields: Record<string, unknown> = {}): Promise<Frame> {
    await this.whenOpen();
    return this.requestNow(t, fields);
  }

  /** Ends the client: no reconnect, pending sends reject with `closed`, no timer left. */
  close(): void {
    this.shutdown(undefined, undefined);
  }

  // ---- connection lifecycle ----

  private async attempt(): Promise<void> {
    let token: string;
    try {
      token = await this.tokens.get(this.needFreshToken, this.serverOffsetMs);
      this.needFreshToken = false;
    } catch (e) {
      if (this.current === 'closed') return;
      const err = toParleyError(e, 'token');
      this.emitter.emit('error', err);
      if (!this.tokens.renewable) return this.shutdown(err, undefined);
      this.failedAttempts++;
      return this.scheduleReconnect(undefined, err);
    }
    if (this.current === 'closed') return;
    const conn: Connection = new Connection(this.WS, this.url, this.codec, this.requests, this.timers, {
      hello: (c, h) => this.onHello(c, h),
      frame: (c, f) => { if (c === this.conn) this.onFrame(f); },
      closed: (c, code, reason, err) => this.onClosed(c, code, reason, err),
    }, this.timeoutMs);
    this.conn = conn;
    conn.start(token);
  }

  private onHello(conn: Connection, hello: Hello): void {
    if (conn !== this.conn) return;
    this.gen++;
    this.helloFrame = hello;
    if (typeof hello.server_time === 'number') this.serverOffsetMs = hello.server_time - Date.now();
    this.failedAttempts = 0;
    // The back-off resets only once the connection proved stable: a broker that accepts
    // and drops at once must not be hammered at the initial rate forever.
    this.stableTimer = this.timers.set(() => this.backoff.reset(), this.opts.stableAfterMs ?? 10000);
    this.scheduleRefresh();
    this.setState('open', {});
    for (const w of [...this.openWaiters]) w.resolve();
    // Resume: rooms first (so replays start), then presence, the list, and the outbox.
    for (const r of this.rooms_.values()) r.resume();
    this.book.resubscribe((chunk) => this.requestNow('presence', { users: chunk })).catch((e: unknown) => {
      if (this.conn === conn) this.emitter.emit('error', toParleyError(e));
    });
    if (this.list.tracking) this.refetchRooms();
    this.outboxQueue.pump();
  }

  private onClosed(conn: Connection, code: number, reason: string, error: ParleyError | undefined): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.gen++;
    this.timers.clear(this.stableTimer);
    this.timers.clear(this.refreshTimer);
    const lost = new ParleyError('disconnected', `connection closed (${code}${reason ? `: ${reason}` : ''})`, {
      retryable: true, closeCode: code,
    });
    this.requests.failAll(lost);
    for (const r of this.rooms_.values()) r.disconnected();
    if (this.current === 'closed') return;
    if (!conn.opened) this.failedAttempts++;
    const why = error ?? (code >= 4000 || code === 1009 ? lost : undefined);
    if (code === 4003) {
      return this.shutdown(new ParleyError('forbidden', reason || 'disconnected by the server (4003)', { retryable: false, closeCode: code }), code);
    }
    if (code === 4001) {
      if (!this.tokens.renewable) {
        return this.shutdown(error ?? new ParleyError('unauthorized', 'token refused (4001) and no getToken to renew it', { retryable: false, closeCode: code }), code);
      }
      this.needFreshToken = true;
      this.tokens.invalidate();
    }
    if (code === 4008) this.backoff.atLeast(POLICY_BACKOFF_MS);
    if (why) this.emitter.emit('error', why);
    this.scheduleReconnect(code, why);
    // Now possibly past the fallback threshold: queued sends may go over HTTP.
    this.outboxQueue.pump();
  }

  private scheduleReconnect(code: number | undefined, error: ParleyError | undefined): void {
    const delay = this.backoff.next();
    const change: Omit<StateChange, 'state' | 'previous'> = { retryInMs: delay };
    if (code !== undefined) change.closeCode = code;
    if (error) change.error = error;
    this.setState('reconnecting', change);
    this.retryTimer = this.timers.set(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, delay);
  }

  /**
   * The browser went offline: the socket is dead even if it still looks open (it would take
   * the heartbeat, or TCP, to find out). Dropped at once, reported as close 1006; requests
   * wait for the next connection, sends wait in the outbox.
   */
  private onOffline(): void {
    this.conn?.abandon('the browser went offline');
  }

  /** The browser is back online: a reconnect waiting out its back-off tries now. */
  private onOnline(): void {
    if (this.current !== 'reconnecting' || this.conn || this.retryTimer === undefined) return;
    this.timers.clear(this.retryTimer);
    this.retryTimer = undefined;
    void this.attempt();
  }

  private shutdown(error: ParleyError | undefined, code: number | undefined): void {
    if (this.current === 'closed') return;
    const conn = this.conn;
    this.conn = undefined;
    conn?.close();
    this.gen++;
    const closed = new ParleyError('closed', error ? `client closed: ${error.message}` : 'client closed', {
      retryable: false, closeCode: code,
    });
    this.requests.failAll(closed);
    this.outboxQueue.failAll(closed);
    for (const w of [...this.openWaiters]) w.reject(closed);
    for (const r of this.rooms_.values()) {
      r.disconnected();
      r.shutdown(closed);
    }
    this.timers.clearAll();
    this.unwatchNetwork?.();
    this.unwatchNetwork = undefined;
    const change: Omit<StateChange, 'state' | 'previous'> = {};
    if (code !== undefined) change.closeCode = code;
    if (error) change.error = error;
    this.setState('closed', change);
    if (error) this.emitter.emit('error', error);
  }

  private setState(state: ConnectionState, extra: Omit<StateChange, 'state' | 'previous'>): void {
    const previous = this.current;
    this.current = state;
    this.emitter.emit('state', { state, previous, ...extra });
  }

  // ---- tokens ----

  /** Schedules the next refresh before `exp` (only with `getToken`). */
  private scheduleRefresh(): void {
    this.timers.clear(this.refreshTimer);
    const token = this.tokens.token;
    if (!this.tokens.renewable || !token) return;
    const delay = refreshDelay(token, this.refreshPolicy, this.serverOffsetMs);
    if (delay === undefined) return;
    this.refreshTimer = this.timers.set(() => void this.refresh(), delay);
  }

  private async refresh(): Promise<void> {
    const conn = this.conn;
    const old = this.tokens.token;
    try {
      const token = await this.tokens.fetch();
      if (conn !== this.conn || this.current !== 'open') return; // the next connection uses it
      const d = refreshDelay(token, this.refreshPolicy, this.serverOffsetMs);
      if (token === old || (d !== undefined && d < 1000)) {
        throw new ParleyError('token', 'getToken returned a token that is no fresher', { retryable: true });
      }
      await this.requestNow('auth', { token });
      this.scheduleRefresh();
    } catch (e) {
      if (conn !== this.conn || this.current === 'closed') return;
      this.emitter.emit('error', toParleyError(e, 'token'));
      // Try again soon; the broker keeps the connection until exp + 30 s.
      this.refreshTimer = this.timers.set(() => void this.refresh(), 5000);
    }
  }

  // ---- frames and requests ----

  private onFrame(f: Frame): void {
    switch (f.t) {
      case 'msg': case 'edit': case 'delete': case 'react': case 'member': case 'typing': case 'read': {
        const r = this.rooms_.get(String(f.room));
        if (f.t === 'read' && f.user === this.user) this.list.read(String(f.room), Number(f.seq));
        r?.handleFrame(f);
        return;
      }
      case 'room':
        this.list.update(f as unknown as RoomUpdateEvent);
        this.emitter.emit('room', f as unknown as RoomUpdateEvent);
        return;
      case 'presence':
        this.book.event(f as unknown as PresenceEvent);
        return;
      case 'error': {
        const err = ParleyError.fromFrame(f);
        if (err.code === 'token_expired') this.needFreshToken = true;
        this.emitter.emit('error', err);
        return;
      }
      default:
        return; // pong/ok of timed-out requests, and kinds of a newer protocol
    }
  }

  private requestNow(t: string, fields: Record<string, unknown>, onReply?: (ok: Frame) => void): Promise<Frame> {
    const conn = this.conn;
    if (!conn || this.current !== 'open') {
      return Promise.reject(new ParleyError('disconnected', 'not connected', { retryable: true }));
    }
    return this.requests.start({ t, ...fields }, (f) => conn.transmit(f), this.timeoutMs, onReply);
  }

  private refetchPending = false;

  private refetchRooms(): void {
    if (this.refetchPending || this.current !== 'open') return;
    this.refetchPending = true;
    const since = this.list.mark();
    let again = false;  // a room appeared while this one was on its way (RoomList.set)
    this.requestNow('rooms', { limit: this.list.limit })
      .then((ok) => { if (Array.isArray(ok.rooms)) again = this.list.set(ok.rooms as RoomSummary[], since); })
      .catch(() => { /* the next reconnect or room event refetches */ })
      .finally(() => {
        this.refetchPending = false;
        if (again) this.refetchRooms();
      });
  }

  // ---- outbox transport ----

  private route(): Route | undefined {
    if (this.current === 'open' && this.conn) return 'ws';
    if (this.opts.httpFallback && this.current !== 'closed' && this.failedAttempts >= (this.opts.httpFallbackAfter ?? 2)) return 'http';
    return undefined;
  }

  private async sendEntry(e: Readonly<OutboxEntry>, route: Route): Promise<Ack> {
    const fields = { room: e.room, cid: e.cid, body: e.body, kind: e.kind, reply_to: e.reply_to, meta: e.meta };
    if (route === 'ws') {
      const ok = await this.requestNow('send', fields);
      return { room: String(ok.room ?? e.room), seq: Number(ok.seq), ts: Number(ok.ts) };
    }
    const token = await this.tokens.get(this.needFreshToken, this.serverOffsetMs);
    this.needFreshToken = false;
    try {
      return await httpSend(this.opts.fetch, this.httpBase, token, e.room, {
        cid: e.cid, body: e.body, kind: e.kind, reply_to: e.reply_to, meta: e.meta,
      });
    } catch (err) {
      if (err instanceof ParleyError && (err.code === 'unauthorized' || err.code === 'token_expired') && this.tokens.renewable) {
        this.tokens.invalidate();
        throw new ParleyError(err.code, err.message, { retryable: true });
      }
      throw err;
    }
  }

  private makeHost(): RoomHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      timers: this.timers,
      outbox: this.outboxQueue,
      get user() { return self.user; },
      get generation() { return self.gen; },
      requestTimeoutMs: this.timeoutMs,
      typingThrottleMs: this.opts.typing?.throttleMs ?? 3000,
      typingIdleMs: this.opts.typing?.idleMs ?? 5000,
      isOpen: () => this.current === 'open' && this.conn !== undefined,
      isClosed: () => this.current === 'closed',
      requestNow: (t, f, onReply) => this.requestNow(t, f, onReply),
      request: (t, f) => this.request(t, f),
      notify: (frame) => {
        if (this.current !== 'open') return;
        try { this.conn?.transmit(frame); } catch { /* dropped: typing is ephemeral */ }
      },
      reportError: (err) => this.emitter.emit('error', err),
      markedRead: (room, seq) => this.list.read(room, seq),
    };
  }
}
