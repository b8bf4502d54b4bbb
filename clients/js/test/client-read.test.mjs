// Read markers against a real broker: a `read` that could not reach the broker (the
// connection was down) is not forgotten. The local marker moves at once, but the SDK keeps
// the marker the broker acknowledged apart, sends the marker again when markRead is called
// again with the same seq, and re-sends the wanted marker by itself after the next re-join.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../dist/index.js';
import { WebSocket, client, record, startBroker, startProxy, waitState } from './helpers.mjs';

/** The broker's read marker of `user` in `room`, as a fresh connection of that user sees it. */
async function brokerRead(b, user, room) {
  const c = client(connect, b, user);
  try {
    const rows = await c.rooms();
    return rows.find((r) => r.room === room)?.read ?? 0;
  } finally {
    c.close();
  }
}

test('a markRead that failed while disconnected is sent again: by the next call with the same seq, and after the re-join', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const proxy = await startProxy(b.port);
  t.after(() => proxy.close());
  const alice = client(connect, b, 'alice');
  // Bob goes through the proxy, so that his connection alone can be cut.
  const bob = connect({
    url: proxy.url, token: b.token('bob'), WebSocket, backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 600,
  });
  t.after(() => { alice.close(); bob.close(); });
  const id = await alice.createRoom({ members: ['bob'] });
  const ra = alice.room(id);
  const rb = bob.room(id);
  await Promise.all([ra.join(), rb.join()]);
  await bob.rooms();
  const reads = record(ra, 'read');
  const got = record(rb, 'message');

  // 1. markRead fails (no connection); the same call again, once connected, sends it.
  await ra.send('one');
  const two = await ra.send('two');
  await got.until(() => rb.lastSeq === two.seq, 5000, 'bob has both');
  proxy.cut({ block: true });
  await waitState(bob, 'reconnecting');
  await assert.rejects(rb.markRead(), (e) => e.code === 'timeout' || e.code === 'disconnected');
  // Locally the marker moved at once (receipts, the conversation list).
  assert.equal(rb.reads.bob, two.seq);
  assert.equal(bob.roomList.find((r) => r.room === id).unread, 0);
  assert.equal(await brokerRead(b, 'bob', id), 0, 'nothing reached the broker');
  proxy.unblock();
  await waitState(bob, 'open', 5000);
  await rb.markRead(two.seq); // before the fix: "not ahead of the local marker", nothing sent
  assert.equal(await brokerRead(b, 'bob', id), two.seq, 'the broker has the marker after the second call');
  await reads.until((s) => s.some((e) => e.user === 'bob' && e.seq === two.seq), 5000, "bob's read at alice");

  // 2. markRead fails again; no further call: the re-join after the reconnect sends it.
  const three = await ra.send('three');
  await got.until(() => rb.lastSeq === three.seq, 5000, 'bob has three');
  proxy.cut({ block: true });
  await waitState(bob, 'reconnecting');
  await assert.rejects(rb.markRead(), (e) => e.code === 'timeout' || e.code === 'disconnected');
  assert.equal(rb.reads.bob, three.seq);
  proxy.unblock();
  await reads.until((s) => s.some((e) => e.user === 'bob' && e.seq === three.seq), 5000, 'the marker re-sent after the re-join');
  assert.equal(await brokerRead(b, 'bob', id), three.seq);
  // Acknowledged now: a call with the same seq sends nothing more.
  const before = reads.seen.length;
  await rb.markRead(three.seq);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(reads.seen.length, before);
});

test('a marker wanted for a room that is not joined is re-sent after the reconnect', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const proxy = await startProxy(b.port);
  t.after(() => proxy.close());
  const alice = client(connect, b, 'alice');
  const bob = connect({
    url: proxy.url, token: b.token('bob'), WebSocket, backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 600,
  });
  t.after(() => { alice.close(); bob.close(); });
  const id = await alice.createRoom({ members: ['bob'] });
  const one = await alice.room(id).send('one');
  await bob.whenOpen();
  proxy.cut({ block: true });
  await waitState(bob, 'reconnecting');
  await assert.rejects(bob.room(id).markRead(one.seq), (e) => e.code === 'timeout' || e.code === 'disconnected');
  proxy.unblock();
  await waitState(bob, 'open', 5000);
  const deadline = Date.now() + 5000;
  while ((await brokerRead(b, 'bob', id)) !== one.seq) {
    assert.ok(Date.now() < deadline, 'the marker reached the broker after the reconnect');
    await new Promise((r) => setTimeout(r, 100));
  }
});
