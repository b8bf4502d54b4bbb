import { ParleyError } from './errors.js';
import type { Timers, TimerHandle } from './timers.js';
import type { Frame } from './types.js';

/**
 * Request/reply matching (docs/protocol.md §3): every request gets a fresh integer `id`, and
 * exactly one reply (`ok`, `error`, `pong`, or `hello` for the first `auth`) carries it back.
 *
 * Ids are never reused, not even across connections: a late reply from a dead connection
 * can then never be mistaken for the answer to a newer request.
 */
interface Pending {
  onReply: ((reply: Frame) => void) | undefined;
  resolve: (reply: Frame) => void;
  reject: (err: ParleyError) => void;
  timer: TimerHandle | undefined;
  t: string;
}

export class Requests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timers: Timers) {}

  /** Requests waiting for their reply. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Sends `frame` with a new id through `transmit` and resolves with the reply's frame.
   * Rejects with `timeout` after `timeoutMs`; a reply arriving later is ignored. Whether the
   * server applied a timed-out request is unknown: only idempotent ones may be resent.
   *
   * `onReply` runs synchronously when the `ok` arrives, before any later frame is handled.
   * Promise continuations run only after the current batch of frames (Node's `ws` emits
   * several messages in one tick), so state that the following frames depend on, such as
   * a join's head, must be set here and not after `await`.
   */
  start(
    frame: Frame,
    transmit: (frame: Frame) => void,
    timeoutMs: number,
    onReply?: (reply: Frame) => void,
  ): Promise<Frame> {
    const id = this.nextId++;
    const t = String(frame.t);
    return new Promise<Frame>((resolve, reject) => {
      const p: Pending = { onReply, resolve, reject, timer: undefined, t };
      p.timer = this.timers.set(() => {
        if (this.pending.get(id) !== p) return;
        this.pending.delete(id);
        reject(new ParleyError('timeout', `no reply to '${t}' within ${timeoutMs} ms`, { retryable: true }));
      }, timeoutMs);
      this.pending.set(id, p);
      try {
        transmit({ ...frame, id });
      } catch (err) {
        this.settle(id);
        reject(err instanceof ParleyError ? err : new ParleyError('disconnected', String(err), { retryable: true, cause: err }));
      }
    });
  }

  /**
   * Routes a reply to its request. Returns false for frames that answer nothing in flight
   * (events, `error` frames without a known id), which the caller handles itself.
   */
  handle(frame: Frame): boolean {
    if (typeof frame.id !== 'number') return false;
    const p = this.settle(frame.id);
    if (!p) return false;
    if (frame.t === 'error') {
      p.reject(ParleyError.fromFrame(frame));
      return true;
    }
    try {
      p.onReply?.(frame);
    } catch (err) {
      p.reject(err instanceof ParleyError ? err : new ParleyError('protocol', String(err), { cause: err }));
      return true;
    }
    p.resolve(frame);
    return true;
  }

  /** Fails every request in flight (the connection is gone; their replies will never come). */
  failAll(err: ParleyError): void {
    const all = [...this.pending.values()];
    for (const p of all) this.timers.clear(p.timer);
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.timers.clear(p.timer);
    return p;
  }
}
