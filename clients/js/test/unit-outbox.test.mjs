// Unit tests of the outbox: bounded, in order per room, cid kept across retries, failures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParleyError } from '../dist/errors.js';
import { Outbox, retryDelay } from '../dist/outbox.js';
import { Timers } from '../dist/timers.js';
import { within } from './helpers.mjs';

/** A transport whose sends the test answers by hand. */
function fakeTransport() {
  const calls = [];
  let waiter;
  const t = {
    route: 'ws',
    calls,
    /** Resolves at the next send (an event to await instead of polling). */
    nextCall: () => new Promise((resolve) => { waiter = resolve; }),
    transport: {
      route: () => t.route,
      send(entry, route) {
        return new Promise((resolve, reject) => {
          calls.push({ entry, route, resolve, reject });
          if (waiter) waiter();
          waiter = undefined;
        });
      },
    },
  };
  return t;
}

const flush = () => new Promise((r) => setImmediate(r));

test('one send per room on the wire, in order; rooms proceed independently', async () => {
  const timers = new Timers();
  const t = fakeTransport();
  const ob = new Outbox(10, t.transport, timers, () => {});
  const p1 = ob.add({ cid: 'a1', room: 'A', body: '1' });
  const p2 = ob.add({ cid: 'a2', room: 'A', body: '2' });
  ob.add({ cid: 'b1', room: 'B', body: 'x' }).catch(() => {});
  assert.deepEqual(t.calls.map((c) => c.entry.cid), ['a1', 'b1']);
  t.calls[0].resolve({ room: 'A', seq: 7, ts: 1 });
  assert.deepEqual(await p1, { room: 'A', seq: 7, ts: 1, cid: 'a1' });
  await flush();
  assert.deepEqual(t.calls.map((c) => c.entry.cid), ['a1', 'b1', 'a2']);
  t.calls[2].resolve({ room: 'A', seq: 8, ts: 2 });
  assert.equal((await p2).seq, 8);
  assert.deepEqual(ob.snapshot().map((e) => e.cid), ['b1']);
  timers.clearAll();
});

test('waits while disconnected and flushes in order with the same cid after a lost reply', async () => {
  const timers = new Timers();
  const t = fakeTransport();
  const changes = [];
  const ob = new Outbox(10, t.transport, timers, () => changes.push(ob.snapshot()));
  const p1 = ob.add({ cid: 'c1', room: 'R', body: '1' });
  const p2 = ob.add({ cid: 'c2', room: 'R', body: '2' });
  // The connection drops with c1 on the wire: its reply is lost.
  t.route = undefined;
  t.calls[0].reject(new ParleyError('disconnected', 'gone', { retryable: true }));
  await flush();
  assert.equal(t.calls.length, 1);
  assert.deepEqual(ob.snapshot().map((e) => [e.cid, e.state, e.attempts]), [['c1', 'queued', 1], ['c2', 'queued', 0]]);
  t.route = 'ws';
  ob.pump();
  assert.equal(t.calls.length, 2);
  assert.equal(t.calls[1].entry.cid, 'c1', 'retried with the same cid');
  t.calls[1].resolve({ room: 'R', seq: 1, ts: 0 });
  await p1;
  await flush();
  assert.equal(t.calls[2].entry.cid, 'c2');
  t.calls[2].resolve({ room: 'R', seq: 2, ts: 0 });
  assert.equal((await p2).seq, 2);
  assert.ok(changes.length > 0);
  timers.clearAll();
});

test('bounded: beyond the limit send rejects with outbox_full', async () => {
  const timers = new Timers();
  const t = fakeTransport();
  t.route = undefined;
  const ob = new Outbox(2, t.transport, timers, () => {});
  ob.add({ cid: '1', room: 'R', body: '' }).catch(() => {});
  ob.add({ cid: '2', room: 'R', body: '' }).catch(() => {});
  await assert.rejects(ob.add({ cid: '3', room: 'R', body: '' }), (e) => e.code === 'outbox_full' && !e.retryable);
  // The same cid again is the same message, not a new entry.
  assert.equal(ob.size, 2);
  ob.failAll(new ParleyError('closed', 'bye', { retryable: false }));
  assert.equal(ob.size, 0);
  timers.clearAll();
});

test('a non-retryable error fails only that message; rate_limited waits retry_after_ms', async () => {
  const timers = new Timers();
  const t = fakeTransport();
  const ob = new Outbox(10, t.transport, timers, () => {});
  const bad = ob.add({ cid: 'x', room: 'R', body: 'too big' });
  const good = ob.add({ cid: 'y', room: 'R', body: 'ok' });
  t.calls[0].reject(new ParleyError('too_large', 'body', { retryable: false }));
  await assert.rejects(bad, (e) => e.code === 'too_large');
  await flush();
  assert.equal(t.calls[1].entry.cid, 'y');
  const started = Date.now();
  const retried = t.nextCall();
  t.calls[1].reject(new ParleyError('rate_limited', 'slow down', { retryable: true, retryAfterMs: 50 }));
  await within(retried, 5000, 'the retry');
  assert.ok(Date.now() - started >= 45, 'retried only after retry_after_ms');
  assert.equal(t.calls[2].entry.cid, 'y');
  t.calls[2].resolve({ room: 'R', seq: 3, ts: 0 });
  assert.equal((await good).seq, 3);
  timers.clearAll();
});

test('retry delays: server hint first, none for a lost socket, growing otherwise', () => {
  const r = () => 1;
  assert.equal(retryDelay(new ParleyError('rate_limited', '', { retryAfterMs: 1234 }), 'ws', 1, r), 1234);
  assert.equal(retryDelay(new ParleyError('disconnected', ''), 'ws', 3, r), 0);
  assert.equal(retryDelay(new ParleyError('disconnected', ''), 'http', 1, r), 1000);
  assert.equal(retryDelay(new ParleyError('timeout', ''), 'ws', 3, r), 4000);
  assert.equal(retryDelay(new ParleyError('timeout', ''), 'ws', 30, r), 30000);
});
