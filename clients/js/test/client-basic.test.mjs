// Integration tests against a real broker: connection states, rooms, messages and their
// lifecycle, async iteration, typing, read markers, presence, the conversation list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mp from '@msgpack/msgpack';
import { connect, applyEvent, devToken } from '../dist/index.js';
import { msgpackCodec } from '../dist/msgpack.js';
import { client, record, seqs, startBroker, waitState, within } from './helpers.mjs';

test('connects, reports states and the user, closes cleanly', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = client(connect, b, 'alice');
  const states = record(alice, 'state');
  assert.equal(alice.state, 'connecting');
  assert.equal(alice.user, 'alice', 'known from the token before hello');
  await alice.whenOpen();
  assert.equal(alice.hello.user, 'alice');
  assert.ok(alice.hello.limits.body > 0);
  await alice.ping();
  alice.close();
  assert.deepEqual(states.seen.map((s) => s.state), ['open', 'closed']);
  for (const call of [() => alice.room('x').history(), () => alice.room('x').join(), () => alice.room('x').send('x'),
    () => alice.rooms(), () => alice.createRoom({ members: [] }), () => alice.room('x').markRead(3)]) {
    await assert.rejects(call(), (e) => e.code === 'closed');
  }
});

test('dev tokens, create, join, send with ack; the other member sees every event in order', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = connect({ url: b.http, getToken: () => devToken(b.http, 'alice', 'Alice'), WebSocket: (await import('ws')).default });
  const bob = client(connect, b, 'bob');
  t.after(() => { alice.close(); bob.close(); });
  const id = await alice.createRoom({ members: ['bob'], title: 'plans' });
  assert.match(id, /^r-[0-9a-f]{20}$/);
  const ra = alice.room(id);
  const rb = bob.room(id);
  assert.equal(bob.room(id), rb, 'one handle per room');
  await Promise.all([ra.join(), rb.join()]);
  const got = record(rb);
  const it = rb.events();

  const ack = await ra.send('hello bob', { meta: { mention: ['bob'] } });
  assert.equal(ack.seq, 1);
  assert.equal(ack.room, id);
  assert.match(ack.cid, /^[0-9a-f]{32}$/);
  const reply = await ra.send('second', { replyTo: 1 });
  assert.equal(reply.seq, 2);
  await ra.react(1, '🎉');
  await ra.edit(1, 'hello, bob');
  await ra.delete(2);
  await got.until((s) => s.length >= 5, 5000, 'five events at bob');
  assert.deepEqual(got.seen.map((e) => [e.t, e.seq]), [['msg', 1], ['msg', 2], ['react', 3], ['edit', 4], ['delete', 5]]);
  assert.equal(got.seen[0].cid, ack.cid, 'the event carries the sender cid');
  assert.deepEqual(got.seen[0].meta, { mention: ['bob'] });
  assert.equal(got.seen[1].reply_to, 1);
  assert.equal(rb.lastSeq, 5);

  // The async iterator saw the same events, in the same order.
  const fromIterator = [];
  for await (const e of it) {
    fromIterator.push(e.seq);
    if (fromIterator.length === 5) break;
  }
  assert.deepEqual(fromIterator, [1, 2, 3, 4, 5]);

  // applyEvent over the live events gives the same state as history.
  let list = [];
  for (const e of got.seen) list = applyEvent(list, e);
  const h = await rb.history({ limit: 10 });
  assert.equal(h.more, false);
  assert.deepEqual(h.messages.map((m) => [m.seq, m.body, m.deleted]), [[1, 'hello, bob', false], [2, '', true]]);
  assert.deepEqual(list.map((m) => [m.seq, m.body, m.deleted ?? false]), [[1, 'hello, bob', false], [2, '', true]]);
  assert.deepEqual(h.messages[0].reactions, { '🎉': ['alice'] });
  assert.deepEqual(list[0].reactions, { '🎉': ['alice'] });
});

test('errors: forbidden and not_found reach the caller as ParleyErrors', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = client(connect, b, 'alice');
  const carol = client(connect, b, 'carol');
  t.after(() => { alice.close(); carol.close(); });
  const id = await alice.createRoom({ members: [] });
  await alice.room(id).send('mine');
  await assert.rejects(carol.room(id).send('intruder'), (e) => e.code === 'forbidden' && !e.retryable);
  await assert.rejects(carol.room(id).join(), (e) => e.code === 'forbidden');
  assert.equal(carol.room(id).joined, false);
  await assert.rejects(alice.room('no-such-room').join(), (e) => e.code === 'not_found');
  await assert.rejects(alice.room(id).edit(99, 'x'), (e) => e.code === 'not_found');
  await assert.rejects(alice.room(id).send('x'.repeat(20000)), (e) => e.code === 'too_large');
  await alice.room(id).invite('carol');
  await assert.rejects(carol.room(id).edit(1, 'not yours'), (e) => e.code === 'forbidden');
  assert.equal(alice.state, 'open');
});

test('typing is throttled and stops by itself; read markers move forward', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = client(connect, b, 'alice', { typing: { throttleMs: 60000, idleMs: 150 } });
  const bob = client(connect, b, 'bob');
  t.after(() => { alice.close(); bob.close(); });
  const id = await alice.createRoom({ members: ['bob'] });
  const ra = alice.room(id);
  const rb = bob.room(id);
  await Promise.all([ra.join(), rb.join()]);
  const typing = record(rb, 'typing');
  for (let i = 0; i < 20; i++) ra.typing(); // keystrokes: one "on" goes out
  await typing.until((s) => s.some((e) => !e.on), 5000, 'typing off');
  assert.deepEqual(typing.seen.map((e) => [e.user, e.on, e.lapsed ?? false]), [['alice', true, false], ['alice', false, false]]);
  assert.deepEqual(rb.typingUsers, []);

  const reads = record(ra, 'read');
  await ra.send('one');
  const two = await ra.send('two');
  await record(rb, 'message').until(() => rb.lastSeq === two.seq, 5000, 'bob has both');
  await rb.markRead(); // default: lastSeq
  await reads.until((s) => s.length === 1, 5000, 'read event at alice');
  assert.deepEqual(reads.seen[0], { t: 'read', room: id, user: 'bob', seq: 2 });
  assert.equal(ra.reads.bob, 2);
  await rb.markRead(1); // backwards: nothing sent
  const again = await rb.join({ since: 2 });
  assert.equal(again.reads.bob, 2);
});

test('presence subscriptions report online and offline', async (t) => {
  const b = await startBroker({ args: ['--presence-grace-ms', '100'] });
  t.after(() => b.cleanup());
  const alice = client(connect, b, 'alice');
  t.after(() => alice.close());
  const first = await alice.subscribePresence(['bob']);
  assert.deepEqual(first.map((p) => [p.user, p.status]), [['bob', 'offline']]);
  const events = record(alice, 'presence');
  const bob = client(connect, b, 'bob');
  await events.until((s) => s.some((p) => p.status === 'online'), 5000, 'bob online');
  assert.equal(alice.presence('bob').status, 'online');
  bob.close();
  await events.until((s) => s.some((p) => p.status === 'offline'), 5000, 'bob offline');
  assert.equal(alice.presence('bob').status, 'offline');
  assert.ok(alice.presence('bob').last_seen > 0);
});

test('the conversation list follows live room updates and local reads', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = client(connect, b, 'alice');
  const bob = client(connect, b, 'bob');
  t.after(() => { alice.close(); bob.close(); });
  const r1 = await bob.createRoom({ members: ['alice'], title: 'first' });
  await bob.room(r1).send('in first');
  const initial = await alice.rooms();
  assert.deepEqual(initial.map((r) => [r.room, r.title, r.unread]), [[r1, 'first', 1]]);
  const lists = record(alice, 'rooms');
  // A room alice never fetched: it appears, then the refetch brings its title.
  const r2 = await bob.createRoom({ members: ['alice'], title: 'second' });
  await bob.room(r2).send('in second');
  // The refetch may answer before the message is stored, and the broker's `room` event for
  // it may come up to a second later (coalesced): wait for both.
  await lists.until(() => alice.roomList[0]?.room === r2 && alice.roomList[0]?.title === 'second'
    && alice.roomList[0]?.last?.body === 'in second', 5000, 'second room listed with its message');
  assert.equal(alice.roomList[0].unread, 1);
  assert.equal(alice.roomList[0].last.body, 'in second');
  assert.deepEqual(alice.roomList.map((r) => r.room), [r2, r1]);
  await alice.room(r2).markRead(1);
  assert.equal(alice.roomList.find((r) => r.room === r2).unread, 0);
  const updates = record(alice, 'room');
  await bob.room(r1).send('again');
  await updates.until((s) => s.some((u) => u.room === r1), 5000, 'room event');
  assert.equal(alice.roomList[0].room, r1, 'most recent first');
  assert.equal(alice.roomList[0].unread, 2);
});

test('MessagePack codec: the same API over parley.v1.msgpack', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const alice = client(connect, b, 'alice', { codec: msgpackCodec(mp) });
  const bob = client(connect, b, 'bob', { codec: msgpackCodec(mp) });
  t.after(() => { alice.close(); bob.close(); });
  const id = await alice.createRoom({ members: ['bob'] });
  await bob.room(id).join();
  const got = record(bob.room(id), 'message');
  const ack = await alice.room(id).send('binary ✓', { meta: { n: 1 } });
  await got.until((s) => s.length === 1, 5000, 'the message');
  assert.equal(got.seen[0].body, 'binary ✓');
  assert.equal(got.seen[0].seq, ack.seq);
  assert.deepEqual(got.seen[0].meta, { n: 1 });
  assert.deepEqual(seqs(got.seen), [1]);
  await within(alice.ping(), 5000, 'ping');
});
