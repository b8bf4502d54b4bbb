import { ParleyError } from './errors.js';

/**
 * A small typed event emitter that works the same in browsers and Node (Node's EventEmitter
 * is not available in browsers, and DOM EventTarget has no types for payloads).
 *
 * A listener that throws must not break the SDK's bookkeeping (a half-applied event would
 * corrupt resume state), so exceptions are caught and handed to `onListenerError`.
 */
export type Listener<T> = (value: T) => void;

export class Emitter<M extends object> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (err: unknown) => void = defaultListenerError) {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof M>(type: K, fn: Listener<M[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => this.off(type, fn);
  }

  /** Like `on`, but the listener runs at most once. */
  once<K extends keyof M>(type: K, fn: Listener<M[K]>): () => void {
    const off = this.on(type, (v) => {
      off();
      fn(v);
    });
    return off;
  }

  off<K extends keyof M>(type: K, fn: Listener<M[K]>): void {
    this.listeners.get(type)?.delete(fn as Listener<never>);
  }

  /** True when at least one listener is registered for `type`. */
  has<K extends keyof M>(type: K): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }

  emit<K extends keyof M>(type: K, value: M[K]): void {
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    // A copy: listeners may remove themselves (or others) while we iterate.
    for (const fn of [...set]) {
      try {
        (fn as Listener<M[K]>)(value);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }
}

function defaultListenerError(err: unknown): void {
  // Rethrowing would escape into the WebSocket's message handler (and crash a Node process);
  // a console report keeps the bug visible without losing the event for other listeners.
  console.error('parley: an event listener threw', err);
}

/**
 * The buffer behind an async iterator of events. Bounded: when the consumer stops pulling
 * and `max` events pile up, the iterator fails with `overflow` instead of growing without
 * limit (defined behaviour instead of an out-of-memory tab).
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private done = false;
  private failure: unknown = undefined;

  constructor(
    private readonly max: number,
    private readonly onReturn: () => void,
  ) {}

  push(item: T): void {
    if (this.done) return;
    const w = this.waiters.shift();
    if (w) {
      w.resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.max) {
      this.fail(new ParleyError('overflow', `event iterator overflowed (${this.max} unread events)`, { retryable: false }));
      return;
    }
    this.items.push(item);
  }

  /** Ends the iteration after the buffered items. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.onReturn();
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** Ends the iteration with an error (thrown after the buffered items are consumed). */
  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.onReturn();
    const waiting = this.waiters.splice(0);
    if (waiting.length > 0) {
      // Nothing is buffered when someone waits: the waiting consumer gets the error now.
      for (const w of waiting) w.reject(err);
    } else {
      this.failure = err;
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.done) {
      if (this.failure !== undefined) {
        const err = this.failure;
        this.failure = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
