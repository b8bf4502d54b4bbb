// Integration tests of the outbox: order and bounds while disconnected, idempotent cids,
// and the HTTP fallback when the WebSocket cannot connect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../dist/index.js';
import { client, deadPort, record, startBroker, startProxy, waitState } from './helpers.mjs';

test('sends wait in a bounded outbox while disconnected and go out in order', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const proxy = await startProxy(b.port);
  t.after(() => proxy.close());
  const alice = client(connect, b, 'alice', { url: proxy.url, outboxLimit: 3 });
  t.after(() => alice.close());
  const id = await alice.createRoom({ members: [] });
  const room = alice.room(id);
  await room.join();
  const outbox = record(alice, 'outbox');
  proxy.cut({ block: true });
  await waitState(alice, 'reconnecting');
  const sends = ['a', 'b', 'c'].map((body) => room.send(body));
  assert.deepEqual(alice.outbox.map((e) => [e.body, e.state]), [['a', 'queued'], ['b', 'queued'], ['c', 'queued']]);
  assert.deepEqual(room.pending.map((e) => e.cid), alice.outbox.map((e) => e.cid));
  await assert.rejects(room.send('d'), (e) => e.code === 'outbox_full' && !e.retryable);
  assert.equal(outbox.seen.at(-1).length, 3, 'outbox events carry the entries');

  const got = record(room, 'message');
  proxy.unblock();
  const acks = await Promise.all(sends);
  assert.deepEqual(acks.map((a) => a.seq), [1, 2, 3]);
  assert.deepEqual(acks.map((a) => a.cid), outbox.seen.find((s) => s.length === 3).map((e) => e.cid));
  assert.equal(alice.outbox.length, 0);
  assert.equal(outbox.seen.at(-1).length, 0);
  await got.until((s) => s.length === 3, 5000, 'own messages echoed');
  assert.deepEqual(got.seen.map((m) => [m.seq, m.body]), [[1, 'a'], [2, 'b'], [3, 'c']]);
});

test('a cid is idempotent: the same cid again answers the original seq', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = client(connect, b, 'alice');
  t.after(() => alice.close());
  const id = await alice.createRoom({ members: [] });
  const room = alice.room(id);
  const first = await room.send('once', { cid: 'fixed-cid-1' });
  await room.send('other');
  const again = await room.send('once', { cid: 'fixed-cid-1' });
  assert.equal(again.seq, first.seq);
  assert.equal(again.ts, first.ts);
  const h = await room.history();
  assert.deepEqual(h.messages.map((m) => m.body), ['once', 'other']);
});

test('HTTP fallback: while the WebSocket cannot connect, sends go out over HTTP', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const bob = client(connect, b, 'bob');
  t.after(() => bob.close());
  const id = await bob.createRoom({ members: ['alice'] });
  await bob.room(id).join();
  const got = record(bob.room(id), 'message');
  // The WebSocket URL leads nowhere (a proxy that blocks upgrades); the HTTP API works.
  const alice = client(connect, b, 'alice', {
    url: `ws://127.0.0.1:${await deadPort()}/ws`,
    httpUrl: b.http,
    httpFallback: true,
    httpFallbackAfter: 1,
  });
  t.after(() => alice.close());
  const ack = await alice.room(id).send('via http', { cid: 'http-cid-1' });
  assert.equal(ack.seq, 1);
  assert.equal(ack.cid, 'http-cid-1');
  assert.notEqual(alice.state, 'open');
  await got.until((s) => s.length === 1, 5000, 'the message at bob');
  assert.equal(got.seen[0].from, 'alice');
  assert.equal(got.seen[0].cid, 'http-cid-1');
  // Errors over HTTP keep their protocol codes.
  await assert.rejects(alice.room('nope').send('x'), (e) => e.code === 'not_found');
});

test('without the fallback, sends wait for the WebSocket', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const proxy = await startProxy(b.port);
  t.after(() => proxy.close());
  proxy.cut({ block: true });
  const alice = client(connect, b, 'alice', { url: proxy.url });
  t.after(() => alice.close());
  const states = record(alice, 'state');
  const sent = alice.room('r-later').send('queued before any connection');
  await states.until((s) => s.filter((e) => e.state === 'reconnecting').length >= 3, 5000, 'three failed attempts');
  assert.equal(alice.outbox.length, 1);
  assert.equal(alice.outbox[0].attempts, 0, 'never put on a wire');
  proxy.unblock();
  await assert.rejects(sent, (e) => e.code === 'not_found', 'went out once connected');
});
