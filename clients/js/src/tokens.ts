import { ParleyError } from './errors.js';
import { decodeJwt } from './jwt.js';

export type GetToken = () => string | Promise<string>;

/**
 * Where tokens come from: a fixed `token`, or `getToken()` for fresh ones. With `getToken`
 * the source is "renewable": the client asks for a new token before `exp`, and after the
 * broker refused one (close 4001), instead of giving up.
 */
export class TokenSource {
  private current: string | undefined;
  private sub: string | undefined;
  private inflight: Promise<string> | undefined;

  constructor(
    fixed: string | undefined,
    private readonly getter: GetToken | undefined,
  ) {
    if (fixed) this.accept(fixed);
  }

  get renewable(): boolean {
    return this.getter !== undefined;
  }

  /** The token in use (may be undefined before the first `getToken` call). */
  get token(): string | undefined {
    return this.current;
  }

  /**
   * The `sub` of the last token obtained (decoded, not verified). Known as soon as a token
   * is: at construction for a fixed token, inside the first `get` for a `getToken` that
   * returns a string, when the promise resolves otherwise. Kept when the token is
   * invalidated (the next one is for the same user).
   */
  get user(): string | undefined {
    return this.sub;
  }

  /**
   * A token to connect with: the current one unless `fresh` is asked for or it expires
   * within 5 s on the broker's clock (`serverOffsetMs`), else a new one from `getToken`.
   */
  async get(fresh: boolean, serverOffsetMs: number): Promise<string> {
    if (!this.getter) {
      if (!this.current) throw new ParleyError('token', 'no token', { retryable: false });
      return this.current;
    }
    if (!fresh && this.current && !expiresWithin(this.current, 5000, serverOffsetMs)) return this.current;
    return this.fetch();
  }

  /** Calls `getToken` (one call at a time: concurrent callers share it). */
  fetch(): Promise<string> {
    if (!this.getter) return Promise.reject(new ParleyError('token', 'no getToken to renew the token', { retryable: false }));
    if (!this.inflight) {
      const getter = this.getter;
      const p = (async () => {
        try {
          const raw = getter();
          // Runs synchronously within the caller's turn: a getter that answers with a
          // string makes the token (and so `user`) known before `connect()` returns.
          if (typeof raw === 'string' && raw.length > 0) this.accept(raw);
          const t = await raw;
          if (typeof t !== 'string' || t.length === 0) throw new ParleyError('token', 'getToken returned no token');
          this.accept(t);
          return t;
        } catch (err) {
          throw err instanceof ParleyError
            ? err
            : new ParleyError('token', `getToken failed: ${err instanceof Error ? err.message : String(err)}`, {
                retryable: true,
                cause: err,
              });
        }
      })();
      this.inflight = p;
      // Cleared after the assignment: a getter that throws synchronously settles the
      // promise before `inflight` is even set, and must not leave it stuck on the failure.
      const clear = () => {
        if (this.inflight === p) this.inflight = undefined;
      };
      p.then(clear, clear);
    }
    return this.inflight;
  }

  /** Forgets the current token (the broker refused it); the next `get` calls `getToken`. */
  invalidate(): void {
    if (this.getter) this.current = undefined;
  }

  private accept(token: string): void {
    this.current = token;
    const sub = decodeJwt(token)?.sub;
    if (typeof sub === 'string' && sub.length > 0) this.sub = sub;
  }
}

/** True when the token's `exp` is less than `ms` away (tokens without `exp` never expire). */
export function expiresWithin(token: string, ms: number, serverOffsetMs = 0, now = Date.now()): boolean {
  const exp = decodeJwt(token)?.exp;
  return typeof exp === 'number' && exp * 1000 - (now + serverOffsetMs) < ms;
}
