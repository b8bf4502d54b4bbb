// Browser network events, tested in Node with a fake `globalThis` event target (Node has no
// `addEventListener` on globalThis, so the SDK does nothing there unless a test adds one):
// `offline` drops the connection at once (close 1006, reconnecting), `online` retries at
// once instead of waiting out the back-off, and `networkEvents: false` turns both off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../dist/index.js';
import { mintToken, record } from './helpers.mjs';

const token = mintToken('secret', 'u');

/** A WebSocket that opens and answers `auth` with `hello`, then stays open until closed. */
function fakeSocketClass({ refuse = () => false } = {}) {
  const sockets = [];
  class FakeWS {
    constructor(url, protocols) {
      this.url = url;
      this.protocol = protocols[0];
      this.readyState = 0;
      this.binaryType = 'blob';
      this.closedWith = undefined;
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      this.n = sockets.push(this);
      setImmediate(() => {
        if (this.closedWith !== undefined) return;
        if (refuse(this.n)) {
          this.readyState = 3;
          this.onclose?.({ code: 1006, reason: '' });
          return;
        }
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(data) {
      const f = JSON.parse(data);
      if (f.t !== 'auth') return;
      const hello = { t: 'hello', id: f.id, session: 's', user: 'u', node: 'n1', heartbeat_ms: 25000,
        limits: { frame: 65536, body: 16384, rooms: 1000, rate: { per_s: 20, burst: 40 } }, server_time: Date.now() };
      setImmediate(() => this.onmessage?.({ data: JSON.stringify(hello) }));
    }
    close(code) {
      this.closedWith = code ?? 1005;
      this.readyState = 3;
    }
  }
  return { FakeWS, sockets };
}

/** Installs an EventTarget as `globalThis`'s (what a browser window has); counts listeners. */
function fakeWindow(t) {
  assert.equal(typeof globalThis.addEventListener, 'undefined', 'Node has no global addEventListener');
  const target = new EventTarget();
  const live = new Map();
  globalThis.addEventListener = (type, fn) => {
    live.set(type, (live.get(type) ?? 0) + 1);
    target.addEventListener(type, fn);
  };
  globalThis.removeEventListener = (type, fn) => {
    live.set(type, (live.get(type) ?? 0) - 1);
    target.removeEventListener(type, fn);
  };
  t.after(() => {
    delete globalThis.addEventListener;
    delete globalThis.removeEventListener;
  });
  return {
    fire: (type) => target.dispatchEvent(new Event(type)),
    listeners: (type) => live.get(type) ?? 0,
  };
}

test('offline drops the open connection at once (1006) and reconnects; online retries at once', async (t) => {
  const win = fakeWindow(t);
  // Connections 2 and 3 fail (the network is still down), the rest open.
  const { FakeWS, sockets } = fakeSocketClass({ refuse: (n) => n === 2 || n === 3 });
  // A long back-off: without the `online` event the client would wait ~30 s.
  const c = connect({ url: 'ws://fake/ws', token, WebSocket: FakeWS,
    backoff: { initialMs: 200, maxMs: 30000, random: () => 0.999 } });
  t.after(() => c.close());
  assert.equal(win.listeners('offline'), 1);
  assert.equal(win.listeners('online'), 1);
  const states = record(c, 'state');
  const errors = record(c, 'error');
  await c.whenOpen(2000);

  win.fire('offline');
  // Synchronously: no waiting for the heartbeat (25 s here).
  const lost = states.seen.at(-1);
  assert.equal(lost.state, 'reconnecting');
  assert.equal(lost.closeCode, 1006);
  assert.equal(lost.error.code, 'disconnected');
  assert.equal(sockets[0].closedWith, 1000, 'the dead socket was let go');
  assert.ok(errors.seen.some((e) => e.code === 'disconnected' && e.closeCode === 1006));
  // Requests made now wait for the next connection instead of writing into the dead one.
  assert.equal(c.state, 'reconnecting');

  // Attempts 2 and 3 fail; the back-off grows (200, 400, 800 ms windows, …).
  await states.until((s) => s.filter((e) => e.state === 'reconnecting').length === 3, 5000, 'two failed retries');
  const waiting = states.seen.at(-1);
  assert.ok(waiting.retryInMs >= 799, `retry in ${waiting.retryInMs}`);
  const t0 = Date.now();
  win.fire('online');
  await c.whenOpen(2000);
  assert.equal(sockets.length, 4);
  assert.ok(Date.now() - t0 < waiting.retryInMs, 'did not wait for the back-off');

  // close() removes the listeners: a later event reaches nothing.
  c.close();
  assert.equal(win.listeners('offline'), 0);
  assert.equal(win.listeners('online'), 0);
  const n = states.seen.length;
  win.fire('offline');
  win.fire('online');
  assert.equal(states.seen.length, n);
  assert.equal(sockets.length, 4);
});

test('offline while connecting abandons the attempt; online while open or connecting changes nothing', async (t) => {
  const win = fakeWindow(t);
  const { FakeWS, sockets } = fakeSocketClass();
  const c = connect({ url: 'ws://fake/ws', token, WebSocket: FakeWS, backoff: { initialMs: 10, maxMs: 10, random: () => 0.5 } });
  t.after(() => c.close());
  const states = record(c, 'state');
  // The socket is made once the token is known (a microtask after connect()).
  for (let i = 0; i < 100 && sockets.length === 0; i++) await null;
  assert.equal(sockets.length, 1);
  win.fire('online'); // connecting: nothing to hurry
  win.fire('offline'); // the socket being opened is given up
  assert.deepEqual(states.seen.map((e) => [e.state, e.closeCode]), [['reconnecting', 1006]]);
  assert.equal(sockets[0].closedWith, 1000);
  await c.whenOpen(2000);
  assert.equal(sockets.length, 2);
  win.fire('online');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(sockets.length, 2);
  assert.equal(c.state, 'open');
});

test('networkEvents: false leaves the connection to the heartbeat', async (t) => {
  const win = fakeWindow(t);
  const { FakeWS, sockets } = fakeSocketClass();
  const c = connect({ url: 'ws://fake/ws', token, WebSocket: FakeWS, networkEvents: false });
  t.after(() => c.close());
  assert.equal(win.listeners('offline'), 0);
  await c.whenOpen(2000);
  win.fire('offline');
  assert.equal(c.state, 'open');
  assert.equal(sockets[0].closedWith, undefined);
});

test('without a global event target (Node) nothing is watched and nothing breaks', async (t) => {
  assert.equal(typeof globalThis.addEventListener, 'undefined');
  const { FakeWS } = fakeSocketClass();
  const c = connect({ url: 'ws://fake/ws', token, WebSocket: FakeWS });
  t.after(() => c.close());
  await c.whenOpen(2000);
  c.close();
  assert.equal(c.state, 'closed');
});
