/**
 * Errors surfaced by the SDK. Every failure a caller can see, whether the broker answered
 * `error` or the client gave up on its own (timeout, lost connection, full outbox), is a
 * `ParleyError`, so one `catch` with `err.code` / `err.retryable` handles them all.
 */

/** Error codes of the wire protocol (docs/protocol.md §3). */
export type ServerErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'token_expired'
  | 'forbidden'
  | 'not_found'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'conflict'
  | 'internal';

/**
 * Codes the client produces itself:
 * - `timeout`: no reply within the request timeout (the request may still have been applied);
 * - `disconnected`: the connection went away before the reply (same caveat);
 * - `closed`: the client was closed (by `close()`, or by the server with 4003);
 * - `outbox_full`: the bounded outbox refused a message;
 * - `token`: `getToken` failed or returned nothing usable;
 * - `overflow`: an async iterator's buffer overflowed because nobody consumed it;
 * - `protocol`: the server sent something the SDK cannot read;
 * - `http`: an HTTP API call got an answer that is not the API's JSON (proxy page, 502, …).
 */
export type ClientErrorCode =
  | 'timeout'
  | 'disconnected'
  | 'closed'
  | 'outbox_full'
  | 'token'
  | 'overflow'
  | 'protocol'
  | 'http';

export type ErrorCode = ServerErrorCode | ClientErrorCode;

/** Codes that mean "not done, try again later" — retrying cannot make things worse. */
const RETRYABLE: ReadonlySet<string> = new Set(['rate_limited', 'unavailable', 'timeout', 'disconnected']);

export class ParleyError extends Error {
  /** Protocol error code (§3) or one of the client's own codes. */
  readonly code: ErrorCode | string;
  /** True when the same request may succeed if sent again (with the same `cid` for sends). */
  readonly retryable: boolean;
  /** The server's `retry_after_ms` for `rate_limited` (or HTTP `Retry-After`), else undefined. */
  readonly retryAfterMs: number | undefined;
  /** The WebSocket close code, for errors caused by a close. */
  readonly closeCode: number | undefined;

  constructor(
    code: ErrorCode | string,
    message: string,
    opts: { retryable?: boolean; retryAfterMs?: number; closeCode?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'ParleyError';
    this.code = code;
    this.retryable = opts.retryable ?? RETRYABLE.has(code);
    this.retryAfterMs = opts.retryAfterMs;
    this.closeCode = opts.closeCode;
    if (opts.cause !== undefined) (this as { cause?: unknown }).cause = opts.cause;
  }

  /** Builds the error of a server `error` frame (`{t:"error",code,message,retryable,retry_after_ms?}`). */
  static fromFrame(frame: Record<string, unknown>): ParleyError {
    const code = typeof frame.code === 'string' ? frame.code : 'internal';
    const message = typeof frame.message === 'string' && frame.message ? frame.message : code;
    const retryAfter = typeof frame.retry_after_ms === 'number' ? frame.retry_after_ms : undefined;
    const retryable = typeof frame.retryable === 'boolean' ? frame.retryable : RETRYABLE.has(code);
    return new ParleyError(code, message, { retryable, retryAfterMs: retryAfter });
  }
}

/** True for errors after which the same request may simply be sent again. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ParleyError && err.retryable;
}

/** Wraps anything thrown into a ParleyError (keeps ParleyErrors as they are). */
export function toParleyError(err: unknown, code: ErrorCode = 'protocol'): ParleyError {
  if (err instanceof ParleyError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ParleyError(code, message, { cause: err });
}
