// Integration tests of tokens and close codes: refresh before exp on the open connection,
// a new token after 4001, no reconnect after 4003 or with a fixed expired token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../dist/index.js';
import { WebSocket, record, startBroker, waitState, within } from './helpers.mjs';

const now = () => Math.floor(Date.now() / 1000);
const opts = (b, extra) => ({ url: b.url, WebSocket, backoff: { initialMs: 50, maxMs: 400 }, requestTimeoutMs: 5000, ...extra });

test('getToken refreshes the token before exp, on the same connection', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  // The first token is nearly dead: exp 27 s ago, and the broker allows 30 s of skew, so
  // the broker closes that connection in ~3 s unless the client refreshes it in time.
  const first = now() - 27;
  const issued = [];
  const getToken = () => {
    const tok = issued.length === 0
      ? b.token('alice', { iat: first - 60, ttl: 60 })
      : b.token('alice', { ttl: 3600 });
    issued.push(tok);
    return tok;
  };
  const alice = connect(opts(b, { getToken }));
  t.after(() => alice.close());
  const states = record(alice, 'state');
  const errors = record(alice, 'error');
  await alice.whenOpen();
  const session = alice.hello.session;
  const id = await alice.createRoom({ members: [] });
  // Past the first token's end on the broker's clock (exp + 30 s, plus a margin), the
  // connection is still the first one, because the refresh happened on it: no state
  // change may come within that window (a bounded wait for an absence).
  const deadline = (first + 30) * 1000 + 1500;
  await assert.rejects(states.until((s) => s.length > 1, deadline - Date.now(), 'a state change'), /timed out/);
  await within(alice.room(id).send('still here'), 5000, 'a send');
  assert.equal(issued.length, 2, 'one initial token, one refresh');
  assert.equal(alice.hello.session, session, 'same connection');
  assert.deepEqual(states.seen.map((s) => s.state), ['open'], 'never reconnected');
  assert.deepEqual(errors.seen, []);
});

test('after close 4001 the client gets a new token from getToken and reconnects', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  // Token 1 expires on the open connection (~2 s); the refresh fails (the app's token
  // endpoint is down), so the broker closes with token_expired / 4001; token 2 is good.
  let calls = 0;
  const getToken = () => {
    calls++;
    if (calls === 1) return b.token('alice', { iat: now() - 88, ttl: 60 });
    if (calls === 2) throw new Error('token service down');
    return b.token('alice', { ttl: 3600 });
  };
  const alice = connect(opts(b, { getToken }));
  t.after(() => alice.close());
  const states = record(alice, 'state');
  const errors = record(alice, 'error');
  await alice.whenOpen();
  await states.until((s) => s.some((e) => e.state === 'reconnecting' && e.closeCode === 4001), 10000, 'close 4001');
  await states.until((s) => s.at(-1).state === 'open', 10000, 'open again');
  assert.equal(calls, 3);
  assert.ok(errors.seen.some((e) => e.code === 'token'), 'the failed refresh was reported');
  assert.ok(errors.seen.some((e) => e.code === 'token_expired' || e.closeCode === 4001));
});

test('a refused token (4001) with getToken: new token, then open', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const tokens = [b.token('alice', { iat: now() - 3600, ttl: 60 }), b.token('alice')];
  let calls = 0;
  const alice = connect(opts(b, { getToken: async () => tokens[Math.min(calls++, 1)] }));
  t.after(() => alice.close());
  const states = record(alice, 'state');
  await waitState(alice, 'open');
  assert.equal(calls, 2);
  assert.deepEqual(states.seen.map((s) => [s.state, s.closeCode]), [['reconnecting', 4001], ['open', undefined]]);
  assert.equal(states.seen[0].error.code, 'unauthorized');
});

test('a fixed token that expires: close 4001 ends the client (nothing to renew it with)', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = connect(opts(b, { token: b.token('alice', { iat: now() - 88, ttl: 60 }) }));
  const states = record(alice, 'state');
  await alice.whenOpen();
  await waitState(alice, 'closed', 10000);
  assert.deepEqual(states.seen.map((s) => [s.state, s.closeCode]), [['open', undefined], ['closed', 4001]]);
  await assert.rejects(alice.room('r-x').send('after the end'), (e) => e.code === 'closed');
});

test('close 4003 (disconnected by the server API): closed, no reconnect', async (t) => {
  const b = await startBroker({ args: ['--api-key', 'test-key'] });
  t.after(() => b.cleanup());
  const bob = connect(opts(b, { token: b.token('bob'), getToken: () => b.token('bob') }));
  const states = record(bob, 'state');
  const errors = record(bob, 'error');
  await bob.whenOpen();
  const res = await fetch(`${b.http}/api/server/users/bob/disconnect`, {
    method: 'POST',
    headers: { authorization: 'ApiKey test-key' },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { closed: 1 });
  await waitState(bob, 'closed', 5000);
  assert.deepEqual(states.seen.map((s) => [s.state, s.closeCode]), [['open', undefined], ['closed', 4003]]);
  assert.equal(errors.seen.at(-1).code, 'forbidden');
  await assert.rejects(bob.whenOpen(), (e) => e.code === 'closed');
});
