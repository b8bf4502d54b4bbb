// Unit tests: back-off windows, jitter bounds and resets; JWT refresh scheduling; tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../dist/backoff.js';
import { refreshDelay } from '../dist/jwt.js';
import { TokenSource, expiresWithin } from '../dist/tokens.js';
import { mintToken } from './helpers.mjs';

test('backoff windows double from 1 s up to the 30 s cap (defaults)', () => {
  const b = new Backoff({ random: () => 0.999999 });
  const delays = Array.from({ length: 8 }, () => b.next());
  assert.deepEqual(delays, [999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
});

test('full jitter: delays are uniform in [0, window]', () => {
  const b = new Backoff();
  for (let i = 0; i < 200; i++) {
    const w = b.window();
    const d = b.next();
    assert.ok(d >= 0 && d <= w, `delay ${d} outside [0, ${w}]`);
  }
  const zero = new Backoff({ random: () => 0 });
  assert.equal(zero.next(), 0);
});

test('reset starts again at the first window; atLeast widens it', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.5 });
  b.next();
  b.next();
  b.next();
  assert.equal(b.window(), 800);
  b.reset();
  assert.equal(b.next(), 50);
  b.reset();
  b.atLeast(5000); // capped at maxMs
  assert.equal(b.window(), 1000);
});

test('refresh happens before exp: 60 s early for long tokens, at 80 % for short ones', () => {
  const now = 1_000_000_000_000;
  const secret = 's';
  const iat = Math.floor(now / 1000);
  const long = mintToken(secret, 'u', { iat, ttl: 3600 });
  const short = mintToken(secret, 'u', { iat, ttl: 10 });
  const policy = { marginMs: 60000, fraction: 0.8 };
  assert.equal(refreshDelay(long, policy, 0, now), 3600_000 - 60_000);
  assert.equal(refreshDelay(short, policy, 0, now), 8000);
  // The broker's clock decides: a server 5 s ahead means refreshing 5 s earlier.
  assert.equal(refreshDelay(long, policy, 5000, now), 3600_000 - 60_000 - 5000);
  assert.equal(refreshDelay('not-a-jwt', policy, 0, now), undefined);
});

test('token source: cached until close to exp, fresh on demand, getToken calls shared', async () => {
  let calls = 0;
  const src = new TokenSource(undefined, async () => mintToken('s', 'u', { ttl: 3600 + ++calls }));
  const [a, b] = await Promise.all([src.get(false, 0), src.get(false, 0)]);
  assert.equal(calls, 1);
  assert.equal(a, b);
  assert.equal(await src.get(false, 0), a);
  assert.notEqual(await src.get(true, 0), a);
  assert.equal(calls, 2);
  assert.ok(expiresWithin(mintToken('s', 'u', { ttl: 3 }), 5000));
  assert.ok(!expiresWithin(mintToken('s', 'u', { ttl: 60 }), 5000));
  const fixed = new TokenSource('t', undefined);
  assert.equal(fixed.renewable, false);
  fixed.invalidate();
  assert.equal(await fixed.get(true, 0), 't');
});

test('token source: a getter that throws synchronously does not stick', async () => {
  let calls = 0;
  const src = new TokenSource(undefined, () => {
    if (++calls === 1) throw new Error('down');
    return mintToken('s', 'u');
  });
  await assert.rejects(src.get(false, 0), (e) => e.code === 'token' && e.retryable);
  assert.ok(await src.get(false, 0));
  assert.equal(calls, 2);
});
