// The Express example against a real broker: the tokens it mints are accepted, rooms it creates
// through the server API appear in the members' conversation lists with the system message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../server.js';
import { ParleyServerApi, tokenMinter } from '../parley.js';
import { startBroker } from '../../../test-support/broker.mjs';

const SECRET = 'example-shared-secret-0123456789abcdef';
const API_KEY = 'example-server-api-key';
const TIMEOUT = { signal: () => AbortSignal.timeout(5000) };

/** Starts the Express app on a kernel-picked loopback port. */
async function listen(app) {
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

async function call(base, method, path, { user, token, body } = {}) {
  const headers = {};
  if (user) headers['x-demo-user'] = user;
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: TIMEOUT.signal(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

describe('express example, HS256 shared secret', () => {
  let broker;
  let app;
  before(async () => {
    broker = await startBroker(['--jwt-secret', SECRET, '--api-key', API_KEY, '--dev-tokens', 'false']);
    app = await listen(
      createApp({
        mintToken: tokenMinter({ secret: SECRET, ttlSeconds: 600 }),
        parley: new ParleyServerApi({ baseUrl: broker.url, apiKey: API_KEY }),
      }),
    );
  });
  after(async () => {
    await app?.close();
    await broker?.stop();
  });

  test('/token needs a logged-in user', async () => {
    const r = await call(app.url, 'POST', '/token');
    assert.equal(r.status, 401);
  });

  test('/token mints a token the broker accepts, for that user only', async () => {
    const r = await call(app.url, 'POST', '/token', { user: 'alice' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.ok(r.json.expiresAt > Date.now() + 500_000 && r.json.expiresAt <= Date.now() + 600_000);
    const claims = JSON.parse(Buffer.from(r.json.token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.name, 'alice');
    // The broker verifies it (the client API checks tokens exactly like the WebSocket does).
    const rooms = await call(broker.url, 'GET', '/api/rooms', { token: r.json.token });
    assert.equal(rooms.status, 200, JSON.stringify(rooms.json));
    // A token signed with another secret is refused.
    const forged = tokenMinter({ secret: 'not-the-secret-0123456789abcdef' })('alice').token;
    assert.equal((await call(broker.url, 'GET', '/api/rooms', { token: forged })).status, 401);
  });

  test('POST /rooms creates a room via the server API with a system message', async () => {
    const created = await call(app.url, 'POST', '/rooms', {
      user: 'alice',
      body: { title: 'Launch plan', members: ['bob'] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const { room } = created.json;
    assert.match(room, /^[A-Za-z0-9_.:-]{1,128}$/);

    const bobToken = (await call(app.url, 'POST', '/token', { user: 'bob' })).json.token;
    const list = await call(broker.url, 'GET', '/api/rooms', { token: bobToken });
    assert.equal(list.status, 200);
    const row = list.json.rooms.find((r) => r.room === room);
    assert.ok(row, `bob's list has the room: ${JSON.stringify(list.json)}`);
    assert.equal(row.title, 'Launch plan');
    assert.equal(row.unread, 1);
    assert.equal(row.last.from, 'system');
    assert.equal(row.last.kind, 'system');
    assert.equal(row.last.body, 'alice created "Launch plan"');

    // Bob can talk there with the minted token (client HTTP API; the SDK does the same over WS).
    const sent = await call(broker.url, 'POST', `/api/rooms/${room}/messages`, {
      token: bobToken,
      body: { cid: 'hello-1', body: 'hi alice' },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    const aliceToken = (await call(app.url, 'POST', '/token', { user: 'alice' })).json.token;
    const history = await call(broker.url, 'GET', `/api/rooms/${room}/messages`, { token: aliceToken });
    assert.deepEqual(
      history.json.messages.map((m) => [m.from, m.body]),
      [
        ['system', 'alice created "Launch plan"'],
        ['bob', 'hi alice'],
      ],
    );

    // Carol is no member: the broker refuses her.
    const carolToken = (await call(app.url, 'POST', '/token', { user: 'carol' })).json.token;
    const refused = await call(broker.url, 'GET', `/api/rooms/${room}/messages`, { token: carolToken });
    assert.equal(refused.status, 403);
  });

  test('PUT /rooms/:room/members/:user adds a member; only the creator may', async () => {
    const { room } = (await call(app.url, 'POST', '/rooms', { user: 'alice', body: { members: [] } })).json;
    const denied = await call(app.url, 'PUT', `/rooms/${room}/members/carol`, { user: 'mallory' });
    assert.equal(denied.status, 403);
    const added = await call(app.url, 'PUT', `/rooms/${room}/members/carol`, { user: 'alice' });
    assert.equal(added.status, 200, JSON.stringify(added.json));
    assert.ok(added.json.seq >= 1);
    const again = await call(app.url, 'PUT', `/rooms/${room}/members/carol`, { user: 'alice' });
    assert.equal(again.status, 409, 'the broker says carol is a member already');

    const carolToken = (await call(app.url, 'POST', '/token', { user: 'carol' })).json.token;
    const history = await call(broker.url, 'GET', `/api/rooms/${room}/messages`, { token: carolToken });
    assert.equal(history.status, 200);
    assert.deepEqual(
      history.json.messages.map((m) => m.body),
      ['alice created this conversation', 'alice added carol'],
    );
  });

  test('a wrong API key is a backend error, not a client one', async () => {
    const bad = await listen(
      createApp({
        mintToken: tokenMinter({ secret: SECRET }),
        parley: new ParleyServerApi({ baseUrl: broker.url, apiKey: 'wrong' }),
      }),
    );
    const origError = console.error;
    console.error = () => {};
    try {
      const r = await call(bad.url, 'POST', '/rooms', { user: 'alice', body: { members: [] } });
      assert.equal(r.status, 502);
    } finally {
      console.error = origError;
      await bad.close();
    }
  });
});

describe('express example, RS256 (the broker holds only the public key)', () => {
  let broker;
  let app;
  let privateKey;
  let tmp;
  before(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
    tmp = mkdtempSync(join(tmpdir(), 'parley-rs-'));
    const pubFile = join(tmp, 'parley-jwt.pub');
    writeFileSync(pubFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    broker = await startBroker([
      '--jwt-alg', 'RS256',
      '--jwt-public-key-file', pubFile,
      '--jwt-issuer', 'example-app',
      '--api-key', API_KEY,
      '--dev-tokens', 'false',
    ]);
    app = await listen(
      createApp({
        mintToken: tokenMinter({ alg: 'RS256', privateKey, issuer: 'example-app' }),
        parley: new ParleyServerApi({ baseUrl: broker.url, apiKey: API_KEY }),
      }),
    );
  });
  after(async () => {
    await app?.close();
    await broker?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('tokens signed with the private key are accepted; HS256 and a wrong issuer are not', async () => {
    const { room } = (await call(app.url, 'POST', '/rooms', { user: 'dora', body: { members: ['eve'] } })).json;
    const token = (await call(app.url, 'POST', '/token', { user: 'eve' })).json.token;
    const list = await call(broker.url, 'GET', '/api/rooms', { token });
    assert.equal(list.status, 200, JSON.stringify(list.json));
    assert.equal(list.json.rooms.find((r) => r.room === room)?.unread, 1);

    const hs = tokenMinter({ secret: SECRET, issuer: 'example-app' })('eve').token;
    assert.equal((await call(broker.url, 'GET', '/api/rooms', { token: hs })).status, 401);
    const otherIss = tokenMinter({ alg: 'RS256', privateKey, issuer: 'someone-else' })('eve').token;
    assert.equal((await call(broker.url, 'GET', '/api/rooms', { token: otherIss })).status, 401);
  });
});
