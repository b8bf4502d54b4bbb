// Unit tests: resume cursor (duplicates, gap buffering), applyEvent, typing throttles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEvent } from '../dist/apply.js';
import { SeqCursor } from '../dist/cursor.js';
import { Timers } from '../dist/timers.js';
import { TypingSender, TypingTracker } from '../dist/typing.js';
import { within } from './helpers.mjs';

const ev = (seq, t = 'msg') => ({ t, room: 'R', seq });

test('duplicates by seq are dropped; a first join starts at the head', () => {
  const c = new SeqCursor();
  assert.equal(c.since(), undefined);
  c.joined(5, false);
  assert.equal(c.lastSeq, 5);
  assert.equal(c.since(), 5);
  assert.deepEqual(c.offer(ev(5)), []);
  assert.deepEqual(c.offer(ev(6)), [ev(6)]);
  assert.deepEqual(c.offer(ev(6)), []);
  assert.deepEqual(c.offer(ev(3)), []);
  assert.deepEqual(c.offer(ev(7, 'edit')), [ev(7, 'edit')]);
  c.place(2); // join({since: 2}): replays are wanted again
  assert.deepEqual(c.offer(ev(3)), [ev(3)]);
});

test('gap: live events are held while history fills, then released in order without dups', () => {
  const c = new SeqCursor();
  c.place(10);
  c.joined(2000, true);
  assert.ok(c.isFilling);
  assert.deepEqual(c.offer(ev(2002)), []);
  assert.deepEqual(c.offer(ev(2001)), []);
  assert.equal(c.offerHistory(11, 2000), true);
  assert.equal(c.offerHistory(11, 2000), false, 'a page overlap is a duplicate');
  assert.equal(c.offerHistory(1999, 2000), true);
  assert.equal(c.offerHistory(2001, 2000), false, 'newer than the join head: comes live');
  assert.deepEqual(c.endFill(2000).map((e) => e.seq), [2001, 2002]);
  assert.equal(c.lastSeq, 2002);
  assert.ok(!c.isFilling);
});

test('a disconnect during a fill drops the held events (the next join replays them)', () => {
  const c = new SeqCursor();
  c.place(1);
  c.joined(3000, true);
  c.offer(ev(3001));
  c.disconnected();
  assert.ok(!c.isFilling);
  assert.equal(c.since(), 1);
});

test('applyEvent keeps messages sorted and applies edit, delete, react immutably', () => {
  const m = (seq, body) => ({ t: 'msg', room: 'R', seq, from: 'a', body, kind: 'text', ts: seq, cid: `c${seq}` });
  let list = [];
  list = applyEvent(list, m(3, 'three'));
  list = applyEvent(list, m(1, 'one'));
  list = applyEvent(list, m(2, 'two'));
  assert.deepEqual(list.map((x) => x.seq), [1, 2, 3]);
  const before = list;
  list = applyEvent(list, { t: 'edit', room: 'R', seq: 4, target: 2, body: 'TWO', from: 'a', ts: 9 });
  assert.notEqual(list, before);
  assert.equal(before[1].body, 'two');
  assert.equal(list[1].body, 'TWO');
  assert.equal(list[1].edited_ts, 9);
  list = applyEvent(list, { t: 'react', room: 'R', seq: 5, target: 1, emoji: '👍', on: true, from: 'b', ts: 1 });
  list = applyEvent(list, { t: 'react', room: 'R', seq: 6, target: 1, emoji: '👍', on: true, from: 'c', ts: 1 });
  list = applyEvent(list, { t: 'react', room: 'R', seq: 7, target: 1, emoji: '👍', on: false, from: 'b', ts: 1 });
  assert.deepEqual(list[0].reactions, { '👍': ['c'] });
  list = applyEvent(list, { t: 'delete', room: 'R', seq: 8, target: 3, from: 'a', ts: 1 });
  assert.equal(list[2].deleted, true);
  assert.equal(list[2].body, '');
  const same = applyEvent(list, { t: 'typing', room: 'R', user: 'x', on: true });
  assert.equal(same, list);
});

test('typing sender: one "on" per throttle window, "off" after idle or on stop', async () => {
  const timers = new Timers();
  let now = 0;
  const sent = [];
  let offSent;
  const off = new Promise((resolve) => { offSent = resolve; });
  const s = new TypingSender(timers, (on) => { sent.push(on); if (!on) offSent(); }, 3000, 20, () => now);
  s.typing();
  now = 1000;
  s.typing();
  now = 2999;
  s.typing();
  assert.deepEqual(sent, [true]);
  now = 3000;
  s.typing();
  assert.deepEqual(sent, [true, true]);
  await within(off, 5000, 'the idle "off"');
  assert.deepEqual(sent, [true, true, false], 'idle ends the indicator');
  s.stop();
  assert.equal(sent.length, 3, 'no second off');
  timers.clearAll();
});

test('typing tracker: an "on" that is not repeated lapses', async () => {
  const timers = new Timers();
  const seen = [];
  let lapsed;
  const lapse = new Promise((resolve) => { lapsed = resolve; });
  const t = new TypingTracker(timers, (e) => { seen.push(e); if (e.lapsed) lapsed(); }, 20);
  t.handle({ t: 'typing', room: 'R', user: 'bob', on: true });
  assert.deepEqual(t.typingUsers, ['bob']);
  await within(lapse, 5000, 'the lapse');
  assert.deepEqual(seen[1], { t: 'typing', room: 'R', user: 'bob', on: false, lapsed: true });
  assert.deepEqual(t.typingUsers, []);
  t.handle({ t: 'typing', room: 'R', user: 'bob', on: false });
  assert.equal(seen.length, 2, 'an off for someone not typing is not reported');
  timers.clearAll();
});
