/**
 * The minimal shapes of the platform objects the SDK uses. Declared here rather than taken
 * from the DOM library so that the published declarations type-check in any project (Node
 * without "DOM" in `lib`, browsers, React Native) and so that `ws` in Node 20 fits as is.
 */

/** What the SDK touches on a WebSocket (the browser's and `ws`'s both have it). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** The WebSocket class: `globalThis.WebSocket` in browsers, `import { WebSocket } from 'ws'` in Node 20. */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** readyState value of an open socket (the same constant in every implementation). */
export const WS_OPEN = 1;

export interface FetchResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface FetchInitLike {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** `globalThis.fetch` (browsers, Node 18+) fits this. */
export type FetchLike = (url: string, init?: FetchInitLike) => Promise<FetchResponseLike>;

/**
 * The WebSocket URL for `url`: ws(s) URLs are used as given; an http(s) base URL maps to
 * ws(s)://host/ws (the broker's endpoint), so one base URL can configure everything.
 */
export function toWsUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  } else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new TypeError(`parley: unsupported URL scheme in ${url}`);
  }
  return u.toString();
}

/** The HTTP API base (scheme://host:port, no trailing slash) for a ws(s) or http(s) URL. */
export function toHttpBase(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  // The API lives at the root: a '/ws' endpoint path (or any path) is not part of the base.
  return `${u.protocol}//${u.host}`;
}
