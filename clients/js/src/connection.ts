import type { Codec } from './codec.js';
import { ParleyError, toParleyError } from './errors.js';
import type { Requests } from './requests.js';
import type { Timers, TimerHandle } from './timers.js';
import { WS_OPEN, type WebSocketConstructorLike, type WebSocketLike } from './transport.js';
import type { Frame, Hello } from './types.js';

export interface ConnectionEvents {
  /** The broker accepted the token (runs synchronously, before any later frame). */
  hello(conn: Connection, hello: Hello): void;
  /** A frame that answers no request: an event, or an `error` without a known id. */
  frame(conn: Connection, frame: Frame): void;
  /** The connection ended (exactly once), with the close code and, if known, why. */
  closed(conn: Connection, code: number, reason: string, error: ParleyError | undefined): void;
}

/**
 * One WebSocket connection: open, authenticate with an `auth` frame (keeps the token out
 * of URLs and logs), decode frames, watch liveness. Reconnecting is the client's job: a
 * Connection is used once and reports its end through `closed`.
 */
export class Connection {
  private ws: WebSocketLike | undefined;
  private ended = false;
  private lastRx = Date.now();
  private deadline: TimerHandle | undefined;
  private beat: TimerHandle | undefined;
  private frameLimit = Infinity;
  /** True once `hello` arrived. */
  opened = false;
  /** Why the broker refused the `auth` (reported with the close that follows). */
  private authError: ParleyError | undefined;

  constructor(
    private readonly WS: WebSocketConstructorLike,
    private readonly url: string,
    private readonly codec: Codec,
    private readonly requests: Requests,
    private readonly timers: Timers,
    private readonly events: ConnectionEvents,
    private readonly timeoutMs: number,
  ) {}

  start(token: string): void {
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.url, [this.codec.protocol]);
    } catch (err) {
      // A malformed URL or a blocked scheme: report it like any failed attempt.
      this.timers.set(() => this.finish(1006, 'cannot open', toParleyError(err, 'disconnected')), 0);
      return;
    }
    this.ws = ws;
    if (this.codec.binary) ws.binaryType = 'arraybuffer';
    // An upgrade or auth that hangs (a proxy swallowing the request) counts as a failure.
    this.deadline = this.timers.set(() => this.abandon('no hello within the timeout'), this.timeoutMs);
    ws.onopen = () => {
      this.requests
        .start({ t: 'auth', token }, (f) => this.transmit(f), this.timeoutMs, (hello) => this.onHello(hello as unknown as Hello))
        .catch((err: unknown) => {
          // Refused token: the broker closes with 4001 next; that close reports this error.
          this.authError = toParleyError(err, 'unauthorized');
        });
    };
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => this.finish(ev.code, ev.reason, undefined);
    ws.onerror = () => {
      // Always followed by a close event, which carries what little the platform tells.
    };
  }

  /** Encodes and sends a frame; throws `disconnected` when the socket is not open. */
  transmit(frame: Frame): void {
    const ws = this.ws;
    if (this.ended || !ws || ws.readyState !== WS_OPEN) {
      throw new ParleyError('disconnected', 'not connected', { retryable: true });
    }
    const data = this.codec.encode(frame);
    // Over the limit the broker closes the whole connection (1009): refuse the one frame.
    if (this.codec.byteLength(data) > this.frameLimit) {
      throw new ParleyError('too_large', `frame over the broker's limit of ${this.frameLimit} bytes`, { retryable: false });
    }
    ws.send(data);
  }

  /** Closes on the client's initiative; `closed` is not reported (the client knows). */
  close(): void {
    this.ended = true;
    this.stopTimers();
    this.detach(1000);
  }

  /** Drops a connection that stopped answering; reported as a 1006 close. */
  abandon(why: string): void {
    if (this.ended) return;
    this.detach(1000);
    this.finish(1006, why, new ParleyError('disconnected', why, { retryable: true, closeCode: 1006 }));
  }

  private onHello(hello: Hello): void {
    if (this.ended) return;
    this.opened = true;
    this.timers.clear(this.deadline);
    if (hello.limits && typeof hello.limits.frame === 'number') this.frameLimit = hello.limits.frame;
    const hb = typeof hello.heartbeat_ms === 'number' && hello.heartbeat_ms > 0 ? hello.heartbeat_ms : 25000;
    this.scheduleBeat(hb);
    this.events.hello(this, hello);
  }

  /**
   * Liveness: browsers answer the broker's WebSocket pings but never tell the page whether
   * they arrive, so a dead network (laptop lid, NAT timeout) is only noticed by talking.
   * After `hb` ms of silence the client sends `ping` and gives up on the connection when
   * no answer comes within another `hb` ms.
   */
  private scheduleBeat(hb: number): void {
    this.beat = this.timers.set(() => {
      if (this.ended) return;
      if (Date.now() - this.lastRx < hb) {
        this.scheduleBeat(hb);
        return;
      }
      this.requests.start({ t: 'ping' }, (f) => this.transmit(f), hb).then(
        () => this.scheduleBeat(hb),
        () => this.abandon('no answer to ping'),
      );
    }, hb);
  }

  private onMessage(data: unknown): void {
    if (this.ended) return;
    this.lastRx = Date.now();
    let frame: Frame;
    try {
      frame = this.codec.decode(data);
    } catch (err) {
      this.events.frame(this, { t: 'error', code: 'protocol', message: toParleyError(err).message });
      return;
    }
    if (!this.requests.handle(frame)) this.events.frame(this, frame);
  }

  private finish(code: number, reason: string, error: ParleyError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    this.detach(undefined);
    this.events.closed(this, code, reason ?? '', error ?? this.authError);
  }

  private stopTimers(): void {
    this.timers.clear(this.deadline);
    this.timers.clear(this.beat);
  }

  /** Silences the socket (late events must not reach a client that moved on). */
  private detach(closeCode: number | undefined): void {
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    // Keep a no-op error handler: `ws` in Node throws on an unhandled 'error'.
    ws.onerror = () => {};
    if (closeCode !== undefined) {
      try {
        ws.close(closeCode);
      } catch {
        // Closing a socket that is still connecting throws in some implementations.
      }
    }
  }
}
