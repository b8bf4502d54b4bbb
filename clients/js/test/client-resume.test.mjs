// Integration tests of reconnect and resume: broker restarts (graceful and crash) with the
// same data dir and port, dropped connections with replay, and resume gaps paged from
// history. The property checked everywhere: every message exactly once, in seq order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../dist/index.js';
import { client, record, seqs, startBroker, startProxy, waitState } from './helpers.mjs';

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

for (const signal of ['SIGTERM', 'SIGKILL']) {
  test(`broker restart (${signal}): reconnect, resume, outbox flush, nothing lost or duplicated`, async (t) => {
    let b = await startBroker();
    t.after(() => b.cleanup());
    const alice = client(connect, b, 'alice');
    const bob = client(connect, b, 'bob');
    t.after(() => { alice.close(); bob.close(); });
    const id = await alice.createRoom({ members: ['bob'] });
    const ra = alice.room(id);
    const rb = bob.room(id);
    await Promise.all([ra.join(), rb.join()]);
    const got = record(rb, 'message');
    const aliceStates = record(alice, 'state');

    const before = await Promise.all(range(1, 5).map((i) => ra.send(`m${i}`)));
    assert.deepEqual(before.map((a) => a.seq), range(1, 5), 'acks in send order');

    await b.stop(signal);
    await aliceStates.until((s) => s.some((e) => e.state === 'reconnecting'), 5000, 'alice reconnecting');
    // Sent while the broker is down: they wait in the outbox, in order.
    const later = Promise.all(range(6, 10).map((i) => ra.send(`m${i}`)));
    assert.deepEqual(ra.pending.map((e) => e.body), ['m6', 'm7', 'm8', 'm9', 'm10']);
    assert.ok(ra.pending.every((e) => e.state === 'queued'));
    b = await b.restart(signal);

    const acks = await later;
    assert.deepEqual(acks.map((a) => a.seq), range(6, 10), 'flushed in order after the restart');
    assert.equal(ra.pending.length, 0);
    await waitState(bob, 'open');
    // A last message marks the end: once bob has it, everything before has been delivered.
    const last = await ra.send('end');
    await got.until(() => rb.lastSeq >= last.seq, 10000, 'bob to catch up');
    assert.deepEqual(seqs(got.seen), range(1, 11), 'exactly once, in order');
    assert.deepEqual(got.seen.map((e) => e.body), [...range(1, 10).map((i) => `m${i}`), 'end']);
    const h = await rb.history({ limit: 100 });
    assert.deepEqual(h.messages.map((m) => m.seq), range(1, 11), 'the log holds each message once');
    assert.ok(aliceStates.seen.some((e) => e.state === 'reconnecting' && e.retryInMs >= 0));
    assert.equal(aliceStates.seen.at(-1).state, 'open');
  });
}

test('a dropped connection resumes with since and replays what it missed', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const proxy = await startProxy(b.port);
  t.after(() => proxy.close());
  const alice = client(connect, b, 'alice');
  const bob = client(connect, b, 'bob', { url: proxy.url });
  t.after(() => { alice.close(); bob.close(); });
  const id = await alice.createRoom({ members: ['bob'] });
  const ra = alice.room(id);
  const rb = bob.room(id);
  await Promise.all([ra.join(), rb.join()]);
  const got = record(rb);
  const bobStates = record(bob, 'state');
  for (const i of range(1, 3)) await ra.send(`m${i}`);
  await got.until(() => rb.lastSeq === 3, 5000, 'first three');

  proxy.cut({ block: true });
  await bobStates.until((s) => s.some((e) => e.state === 'reconnecting'), 5000, 'bob reconnecting');
  for (const i of range(4, 8)) await ra.send(`m${i}`);
  await ra.edit(2, 'm2 edited');
  proxy.unblock();
  await got.until(() => rb.lastSeq === 9, 10000, 'the replay');
  assert.deepEqual(got.seen.map((e) => [e.t, e.seq]), [...range(1, 8).map((s) => ['msg', s]), ['edit', 9]]);
  assert.ok(got.seen.every((e) => !e.fromHistory));
  await ra.react(4, '👀');
  await got.until(() => rb.lastSeq === 10, 5000, 'live again');
  assert.equal(got.seen.length, 10, 'no duplicates');
});

test('resume too far behind (gap): history fills it, live events follow in order', async (t) => {
  const b = await startBroker({ args: ['--replay-max', '3'] });
  t.after(() => b.cleanup());
  const proxy = await startProxy(b.port);
  t.after(() => proxy.close());
  const alice = client(connect, b, 'alice');
  const bob = client(connect, b, 'bob', { url: proxy.url });
  t.after(() => { alice.close(); bob.close(); });
  const id = await alice.createRoom({ members: ['bob'] });
  const ra = alice.room(id);
  const rb = bob.room(id);
  await Promise.all([ra.join(), rb.join()]);
  const got = record(rb);
  const gaps = record(rb, 'gap');
  await ra.send('m1');
  await got.until(() => rb.lastSeq === 1, 5000, 'm1');

  proxy.cut({ block: true });
  for (const i of range(2, 9)) await ra.send(`m${i}`); // seq 2..9
  await ra.edit(5, 'm5 edited'); // seq 10
  await ra.react(6, '👍'); // seq 11
  proxy.unblock();
  await gaps.until((s) => s.length === 1, 10000, 'the gap');
  assert.deepEqual(gaps.seen[0], { room: id, since: 1, head: 11 });
  await got.until((s) => s.some((e) => e.seq === 9), 10000, 'the fill');
  const filled = got.seen.slice(1);
  assert.deepEqual(seqs(filled), range(2, 9));
  assert.ok(filled.every((e) => e.fromHistory === true));
  assert.equal(filled.find((e) => e.seq === 5).body, 'm5 edited', 'current state from history');
  assert.deepEqual(filled.find((e) => e.seq === 6).reactions, { '👍': ['alice'] });

  const live = await ra.send('m12');
  await got.until((s) => s.some((e) => e.seq === live.seq), 5000, 'live message');
  assert.equal(rb.lastSeq, 12);
  assert.equal(got.seen.at(-1).fromHistory, undefined);
  assert.deepEqual(seqs(got.seen), [...range(1, 9), 12], 'each message once, ascending');
});

test('repeated failures grow the back-off window up to the cap', async (t) => {
  const b = await startBroker();
  t.after(() => b.cleanup());
  const proxy = await startProxy(b.port);
  t.after(() => proxy.close());
  const bob = client(connect, b, 'bob', { url: proxy.url, backoff: { initialMs: 20, maxMs: 160, random: () => 0.999 } });
  t.after(() => bob.close());
  await bob.whenOpen();
  const states = record(bob, 'state');
  proxy.cut({ block: true });
  await states.until((s) => s.filter((e) => e.state === 'reconnecting').length >= 5, 10000, 'five attempts');
  const windows = states.seen.filter((e) => e.state === 'reconnecting').slice(0, 5).map((e) => e.retryInMs);
  assert.deepEqual(windows, [19, 39, 79, 159, 159], 'full-jitter windows double up to the cap');
  proxy.unblock();
  await waitState(bob, 'open');
});
