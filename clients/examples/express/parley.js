// What an application backend needs from Parley, and nothing else: mint chat tokens for its
// own users, and call the broker's server API (docs/protocol.md §8) with an API key.
// Plain ESM JavaScript on Node 20+ (global fetch); the only dependency is jsonwebtoken.
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';

/**
 * Returns `mint(user, name?) -> { token, expiresAt }`, which signs a Parley token.
 *
 * HS256 (the broker's default): `secret` is the broker's `auth.jwt_secret`.
 * RS256 / ES256: `privateKey` is the issuer's PEM private key; the broker holds only the public
 * key (`--jwt-alg RS256 --jwt-public-key-file …`). The algorithm must be the one the broker is
 * configured with: it never takes it from the token.
 *
 * Claims (protocol.md §2): `sub` (the user id, 1-128 bytes), `exp` (required by default),
 * `iat`, optional `name`, and `aud`/`iss` when the broker checks them.
 */
export function tokenMinter({ alg = 'HS256', secret, privateKey, ttlSeconds = 3600, audience, issuer }) {
  const key = alg === 'HS256' ? secret : privateKey;
  if (!key) {
    throw new Error(alg === 'HS256' ? 'HS256 needs the shared secret' : `${alg} needs the issuer's private key`);
  }
  return function mint(user, name) {
    if (typeof user !== 'string' || user.length === 0 || Buffer.byteLength(user) > 128) {
      throw new Error('a Parley user id is 1-128 bytes');
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user, iat: now, exp: now + ttlSeconds };
    if (name) claims.name = name;
    if (audience) claims.aud = audience;
    if (issuer) claims.iss = issuer;
    return { token: jwt.sign(claims, key, { algorithm: alg }), expiresAt: claims.exp * 1000 };
  };
}

/** An error answered by the broker: `status` is the HTTP status, `code` Parley's error code. */
export class ParleyApiError extends Error {
  constructor(status, code, message) {
    super(`parley ${status} ${code}: ${message}`);
    this.name = 'ParleyApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * The server API (`Authorization: ApiKey <key>`, keys from the broker's `auth.api_keys`).
 * Keep the key on the backend: it may publish as anyone and manage any room's members.
 */
export class ParleyServerApi {
  constructor({ baseUrl, apiKey, timeoutMs = 5000 }) {
    if (!baseUrl || !apiKey) throw new Error('ParleyServerApi needs baseUrl and apiKey');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
  }

  /** Creates a room; `admins` (a Parley extension) are members who may delete others' messages
   *  and remove members. Answers `{ room }`. Without `room` the broker picks an id. */
  createRoom({ room, members, admins, title }) {
    return this.#call('POST', '/api/server/rooms', { room, members, admins, title });
  }

  /** Adds a member (a `member` event in the room's log). Answers `{ room, seq, ts }`. */
  addMember(room, user) {
    return this.#call('PUT', `/api/server/rooms/${enc(room)}/members/${enc(user)}`);
  }

  removeMember(room, user) {
    return this.#call('DELETE', `/api/server/rooms/${enc(room)}/members/${enc(user)}`);
  }

  /** Publishes a message as `from` (a member, or a system sender such as "system").
   *  Idempotent by `cid`: retry with the same cid and no duplicate is stored. */
  postMessage(room, { from, body, kind, meta, cid = randomUUID() }) {
    return this.#call('POST', `/api/server/rooms/${enc(room)}/messages`, { from, cid, body, kind, meta });
  }

  /** `{ presence: [{ user, status, last_seen }] }`, without subscribing. */
  presence(users) {
    return this.#call('GET', `/api/server/presence?users=${users.map(enc).join(',')}`);
  }

  /** Closes every connection of the user with 4003 (e.g. after a ban or a logout everywhere). */
  disconnectUser(user) {
    return this.#call('POST', `/api/server/users/${enc(user)}/disconnect`);
  }

  async #call(method, path, body) {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: {
        authorization: `ApiKey ${this.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    if (!res.ok) {
      const err = json.error ?? {};
      throw new ParleyApiError(res.status, err.code ?? 'http_error', err.message ?? text.slice(0, 200));
    }
    return json;
  }
}

function enc(s) {
  return encodeURIComponent(s);
}
