import { ParleyError } from './errors.js';
import { toHttpBase, type FetchLike, type FetchResponseLike } from './transport.js';
import type { Ack } from './types.js';

/**
 * The broker's HTTP API (docs/protocol.md §8): the dev-token endpoint and the send path
 * used as fallback when WebSocket cannot connect. Errors come back as ParleyErrors with the
 * same codes as on the WebSocket, so callers handle both transports alike.
 */

function defaultFetch(): FetchLike {
  const f = (globalThis as { fetch?: FetchLike }).fetch;
  if (typeof f !== 'function') throw new TypeError('parley: no fetch available; pass the `fetch` option');
  return f.bind(globalThis) as FetchLike;
}

/** Status → protocol code, for answers without the API's JSON error body. */
function codeOfStatus(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 413: return 'too_large';
    case 429: return 'rate_limited';
    case 503: return 'unavailable';
    default: return status >= 500 ? 'unavailable' : 'http';
  }
}

async function errorOf(res: FetchResponseLike): Promise<ParleyError> {
  let code = codeOfStatus(res.status);
  let message = `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (body && body.error && typeof body.error.code === 'string') code = body.error.code;
    if (body && body.error && typeof body.error.message === 'string') message = body.error.message;
  } catch {
    // Not the API's JSON (a proxy's error page): the status is all there is.
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  const opts: { retryAfterMs?: number; retryable?: boolean } = {};
  if (Number.isFinite(retryAfter) && retryAfter > 0) opts.retryAfterMs = retryAfter * 1000;
  // A 5xx other than 503 may be a proxy in the way: worth another try later.
  if (res.status >= 500) opts.retryable = true;
  return new ParleyError(code, message, opts);
}

/** One JSON call; network failures become retryable `disconnected` errors. */
export async function callApi(
  fetchImpl: FetchLike | undefined,
  base: string,
  method: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const f = fetchImpl ?? defaultFetch();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: FetchResponseLike;
  try {
    res = await f(`${toHttpBase(base)}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ParleyError('disconnected', `HTTP request failed: ${err instanceof Error ? err.message : String(err)}`, {
      retryable: true,
      cause: err,
    });
  }
  if (!res.ok) throw await errorOf(res);
  try {
    return (await res.json()) as Record<string, unknown>;
  } catch (err) {
    throw new ParleyError('http', 'HTTP answer is not JSON', { retryable: true, cause: err });
  }
}

/**
 * A development token from `POST /api/dev/token` (brokers with dev tokens enabled, on a
 * loopback listener). `baseUrl` may be the http(s) base or the ws(s) endpoint URL.
 */
export async function devToken(baseUrl: string, user: string, name?: string, fetchImpl?: FetchLike): Promise<string> {
  const body: Record<string, string> = { user };
  if (name !== undefined) body.name = name;
  const res = await callApi(fetchImpl, baseUrl, 'POST', '/api/dev/token', body);
  if (typeof res.token !== 'string') throw new ParleyError('protocol', 'dev token answer without token');
  return res.token;
}

/** The fields of a `send`, as the HTTP endpoint takes them. */
export interface HttpSend {
  cid: string;
  body: string;
  kind?: string;
  reply_to?: number;
  meta?: Record<string, unknown>;
}

/** `POST /api/rooms/{room}/messages`: the same idempotent send as over WebSocket. */
export async function httpSend(fetchImpl: FetchLike | undefined, base: string, token: string, room: string, msg: HttpSend): Promise<Ack> {
  const res = await callApi(fetchImpl, base, 'POST', `/api/rooms/${encodeURIComponent(room)}/messages`, msg, token);
  if (typeof res.seq !== 'number') throw new ParleyError('protocol', 'send answer without seq');
  return { room: typeof res.room === 'string' ? res.room : room, seq: res.seq, ts: typeof res.ts === 'number' ? res.ts : 0 };
}
