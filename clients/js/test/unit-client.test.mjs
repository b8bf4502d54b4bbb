// Client-level unit tests with a scripted in-process WebSocket (no broker): the back-off
// resets only after a connection stayed open `stableAfterMs`, and 4008 backs off harder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../dist/index.js';
import { mintToken, record } from './helpers.mjs';

/**
 * A fake WebSocket class. `script(ws, n)` decides what connection n does: 'refuse' (closes
 * 1006 before opening), or a number: open, answer `auth` with `hello`, then close with
 * 1006 that many ms later.
 */
function fakeSocketClass(script) {
  let n = 0;
  return class FakeWS {
    constructor(url, protocols) {
      this.url = url;
      this.protocol = protocols[0];
      this.readyState = 0;
      this.binaryType = 'blob';
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      this.plan = script(++n);
      setImmediate(() => {
        if (this.plan === 'refuse') return this.end(1006);
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(data) {
      const f = JSON.parse(data);
      if (f.t !== 'auth') return;
      const hello = { t: 'hello', id: f.id, session: 's', user: 'u', node: 'n1', heartbeat_ms: 25000,
        limits: { frame: 65536, body: 16384, rooms: 1000, rate: { per_s: 20, burst: 40 } }, server_time: Date.now() };
      setImmediate(() => {
        this.onmessage?.({ data: JSON.stringify(hello) });
        const { code, after } = this.plan;
        this.timer = setTimeout(() => this.end(code), after);
      });
    }
    close() {
      // The client let go of this socket: its scripted end must not keep the process alive.
      clearTimeout(this.timer);
      this.readyState = 3;
    }
    end(code) {
      this.readyState = 3;
      this.onclose?.({ code, reason: '' });
    }
  };
}

const token = mintToken('secret', 'u');

test('the back-off grows while connections fail and resets only after a stable one', async (t) => {
  // 1-3 refused; 4 stays open 80 ms (> stableAfterMs 20); 5 drops right away; 6 stays.
  const plans = { 4: { code: 1006, after: 80 }, 5: { code: 1006, after: 0 }, 6: { code: 1006, after: 60000 } };
  const WebSocket = fakeSocketClass((n) => plans[n] ?? 'refuse');
  const c = connect({ url: 'ws://fake/ws', token, WebSocket, stableAfterMs: 20,
    backoff: { initialMs: 10, maxMs: 1000, random: () => 0.999 } });
  t.after(() => c.close());
  const states = record(c, 'state');
  await states.until((s) => s.filter((e) => e.state === 'open').length === 3, 10000, 'third open');
  const retries = states.seen.filter((e) => e.state === 'reconnecting').map((e) => e.retryInMs);
  // refused ×3: 9, 19, 39; after the stable connection: reset to 9; after the unstable one: 19.
  assert.deepEqual(retries, [9, 19, 39, 9, 19]);
});

test('close 4008 widens the back-off window to at least 5 s', async (t) => {
  const WebSocket = fakeSocketClass(() => ({ code: 4008, after: 0 }));
  const c = connect({ url: 'ws://fake/ws', token, WebSocket, backoff: { initialMs: 10, maxMs: 30000, random: () => 0.999 } });
  t.after(() => c.close());
  const states = record(c, 'state');
  await states.until((s) => s.some((e) => e.state === 'reconnecting'), 5000, 'the close');
  const e = states.seen.find((x) => x.state === 'reconnecting');
  assert.equal(e.closeCode, 4008);
  assert.ok(e.retryInMs >= 5000 * 0.999 - 1 && e.retryInMs < 10240, `window after 4008: ${e.retryInMs}`);
});

test('options are checked; an http base URL maps to the /ws endpoint', () => {
  assert.throws(() => connect({ url: 'ws://x/ws', WebSocket: class {} }), /token or getToken/);
  assert.throws(() => connect({ token }), /url/);
  let seen;
  const c = connect({ url: 'http://example.test:8080', token, WebSocket: class {
    constructor(url) { seen = url; this.readyState = 0; }
    close() {}
  } });
  return new Promise((resolve) => setImmediate(() => {
    c.close();
    assert.equal(seen, 'ws://example.test:8080/ws');
    resolve();
  }));
});

/** A WebSocket that opens and answers every `auth` with an `unauthorized` error and close 4001. */
class RefusingWS {
  constructor() {
    this.readyState = 0;
    this.protocol = 'parley.v1.json';
    this.binaryType = 'blob';
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    setImmediate(() => { this.readyState = 1; this.onopen?.({}); });
  }
  send(data) {
    const f = JSON.parse(data);
    setImmediate(() => {
      this.onmessage?.({ data: JSON.stringify({ t: 'error', id: f.id, code: 'unauthorized', message: 'no' }) });
      this.readyState = 3;
      this.onclose?.({ code: 4001, reason: 'unauthorized' });
    });
  }
  close() { this.readyState = 3; }
}

class SilentWS {
  constructor() { this.readyState = 0; }
  close() {}
}

test('client.user is known at once when the token is given or getToken answers synchronously', async (t) => {
  const alice = mintToken('secret', 'alice');
  const fixed = connect({ url: 'ws://fake/ws', token: alice, WebSocket: SilentWS });
  t.after(() => fixed.close());
  assert.equal(fixed.user, 'alice');
  const sync = connect({ url: 'ws://fake/ws', getToken: () => alice, WebSocket: SilentWS });
  t.after(() => sync.close());
  assert.equal(sync.user, 'alice', 'a getToken that returns a string is called (and decoded) inside connect()');
  let resolve;
  const later = connect({ url: 'ws://fake/ws', getToken: () => new Promise((r) => { resolve = r; }), WebSocket: SilentWS });
  t.after(() => later.close());
  assert.equal(later.user, undefined, 'an async getToken: unknown until it resolves');
  resolve(alice);
  await new Promise((done) => setImmediate(done));
  assert.equal(later.user, 'alice');
});

test('client.user stays known after the broker refused the given token (4001) while getToken is pending', async (t) => {
  const alice = mintToken('secret', 'alice');
  // The token given is refused; the new one from getToken never comes (token service down).
  const c = connect({ url: 'ws://fake/ws', token: alice, getToken: () => new Promise(() => {}), WebSocket: RefusingWS,
    backoff: { initialMs: 10, maxMs: 10 } });
  t.after(() => c.close());
  assert.equal(c.user, 'alice');
  const states = record(c, 'state');
  await states.until((s) => s.some((e) => e.closeCode === 4001), 5000, 'close 4001');
  assert.equal(c.user, 'alice');
});
