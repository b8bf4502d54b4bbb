/**
 * Reads a JWT's claims WITHOUT verifying it. The client only needs `exp` (and `iat`) to know
 * when to ask for a fresh token; verification is the broker's job, and the client has no key.
 */
export interface JwtClaims {
  sub?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  [claim: string]: unknown;
}

export function decodeJwt(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length < 2 || !parts[1]) return undefined;
  try {
    let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

export interface RefreshPolicy {
  /** Refresh at most this long before `exp` (default 60 s). */
  marginMs: number;
  /** ... and no later than this fraction of the token's lifetime (default 0.8). */
  fraction: number;
}

/**
 * Milliseconds from now until the token should be refreshed, or undefined for a token
 * without `exp`. `serverOffsetMs` (server clock − local clock, from `hello.server_time`)
 * makes the schedule follow the broker's clock, which is the one that enforces `exp`.
 *
 * The refresh point is `exp − min(marginMs, (1 − fraction) · lifetime)`: 60 s before expiry
 * for long tokens, at 80 % of the lifetime for short ones (a 35 s token is refreshed after
 * 28 s, not immediately and forever).
 */
export function refreshDelay(
  token: string,
  policy: RefreshPolicy,
  serverOffsetMs = 0,
  now: number = Date.now(),
): number | undefined {
  const claims = decodeJwt(token);
  if (!claims || typeof claims.exp !== 'number') return undefined;
  const serverNow = now + serverOffsetMs;
  const expMs = claims.exp * 1000;
  const issuedMs = typeof claims.iat === 'number' && claims.iat * 1000 < expMs ? claims.iat * 1000 : serverNow;
  const lifetime = Math.max(0, expMs - issuedMs);
  const margin = Math.min(policy.marginMs, (1 - policy.fraction) * lifetime);
  return Math.max(0, expMs - margin - serverNow);
}
