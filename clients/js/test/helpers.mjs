// Test helpers: a real `parley` broker per test (own temp dir, port 0), HS256 tokens
// minted here with the secret the broker was started with, and bounded waits.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
export const PARLEY_BIN = process.env.PARLEY_BIN || resolve(here, '../../../build/apps/parley');
export { WebSocket };

/** Rejects with a message naming `what` when `p` does not settle within `ms`. */
export function within(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Resolves with the first value `subscribe`d listeners see that passes `pred` (bounded). */
export function waitFor(subscribe, pred, ms, what) {
  let off;
  const p = new Promise((resolve) => {
    off = subscribe((v) => {
      if (pred(v)) resolve(v);
    });
  });
  return within(p, ms, what).finally(() => off && off());
}

/** Waits until `client.state === state` (bounded). */
export function waitState(client, state, ms = 10000) {
  if (client.state === state) return Promise.resolve();
  return waitFor((cb) => client.on('state', cb), (e) => e.state === state, ms, `state ${state}`);
}

function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

/** An HS256 JWT: `sub`, `iat`, `exp` = now + ttl seconds (claims per docs/protocol.md §2). */
export function mintToken(secret, sub, { ttl = 3600, name, iat } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub, iat: iat ?? now, exp: (iat ?? now) + ttl };
  if (name) claims.name = name;
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/**
 * Starts `parley serve` on 127.0.0.1 (port 0 unless given) with its own data dir, and
 * resolves once it printed its listening address. `restart()` stops it and starts it again
 * on the same port and data dir.
 */
export async function startBroker({ port = 0, dataDir, secret, args = [], ownsDir = !dataDir } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'parley-js-'));
  const jwtSecret = secret ?? randomBytes(24).toString('hex');
  const child = spawn(
    PARLEY_BIN,
    ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--jwt-secret', jwtSecret, '--web-dir', 'off',
      '--log-level', 'warn', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.once('exit', (code, sig) => res({ code, sig })));
  const addr = await within(new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /parley: listening on ([\d.]+):(\d+)/.exec(out);
      if (m) res({ host: m[1], port: Number(m[2]) });
    });
    exited.then(({ code, sig }) => rej(new Error(`parley exited (${code ?? sig}) before listening: ${stderr}`)));
  }), 15000, 'the broker to listen');
  const base = `http://${addr.host}:${addr.port}`;
  const broker = {
    port: addr.port,
    http: base,
    url: `ws://${addr.host}:${addr.port}/ws`,
    dataDir: dir,
    secret: jwtSecret,
    args,
    child,
    token: (sub, opts) => mintToken(jwtSecret, sub, opts),
    /** SIGTERM (graceful, closes connections with 1001), SIGKILL after 10 s. */
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
    /** Stops (or crashes, with SIGKILL) and starts a new broker on the same port and dir. */
    async restart(signal = 'SIGTERM') {
      await broker.stop(signal);
      return startBroker({ port: addr.port, dataDir: dir, secret: jwtSecret, args, ownsDir });
    },
    async cleanup() {
      await broker.stop();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return broker;
}

/**
 * Records what `target.on(type)` delivers; `until(pred)` resolves as soon as the record
 * satisfies `pred` (checked on every event, bounded by `ms`).
 */
export function record(target, type = 'event') {
  const seen = [];
  const waiters = new Set();
  const off = target.on(type, (e) => {
    seen.push(e);
    for (const w of [...waiters]) {
      if (w.pred(seen)) {
        waiters.delete(w);
        w.resolve();
      }
    }
  });
  return {
    seen,
    off,
    until(pred, ms, what) {
      if (pred(seen)) return Promise.resolve();
      let w;
      const p = new Promise((resolve) => waiters.add((w = { pred, resolve })));
      return within(p, ms, what).finally(() => waiters.delete(w));
    },
  };
}

/** A client of `broker` for `user`, with fast back-off so reconnect tests stay short. */
export function client(connect, broker, user, extra = {}) {
  return connect({
    url: broker.url,
    token: broker.token(user),
    WebSocket,
    backoff: { initialMs: 50, maxMs: 400 },
    requestTimeoutMs: 5000,
    ...extra,
  });
}

/** A port nothing listens on (bound, then released). */
export async function deadPort() {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const { port } = srv.address();
  await new Promise((res) => srv.close(res));
  return port;
}

/** The seqs of `msg` events, to compare with an expected list. */
export const seqs = (events) => events.filter((e) => e.t === 'msg').map((e) => e.seq);

/**
 * A TCP proxy in front of the broker, to cut one client's connections (the client sees a
 * dropped connection, code 1006) or refuse them for a while, with the broker running on.
 */
export async function startProxy(targetPort) {
  const net = await import('node:net');
  const sockets = new Set();
  let blocked = false;
  const server = net.createServer((inbound) => {
    if (blocked) {
      inbound.destroy();
      return;
    }
    const outbound = net.connect(targetPort, '127.0.0.1');
    sockets.add(inbound);
    sockets.add(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const port = server.address().port;
  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    /** Drops every open connection; with `block`, refuses new ones until `unblock()`. */
    cut({ block = false } = {}) {
      blocked = block;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    unblock() {
      blocked = false;
    },
    close() {
      blocked = true;
      for (const s of sockets) s.destroy();
      return new Promise((res) => server.close(() => res()));
    },
  };
}
