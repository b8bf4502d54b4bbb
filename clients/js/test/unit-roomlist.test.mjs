// Unit tests of the tracked conversation list: late `room` events (the broker coalesces
// them, up to a second late) never bring back an unread count that the user's own read
// marker already cleared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomList } from '../dist/roomlist.js';

function list() {
  const emitted = [];
  let refetches = 0;
  const l = new RoomList((rows) => emitted.push(rows), () => refetches++);
  return { l, emitted, refetches: () => refetches };
}

const msg = (seq) => ({ t: 'msg', room: 'r', seq, from: 'bob', body: `m${seq}`, kind: 'text', ts: seq, cid: `c${seq}` });
const row = (l) => l.list.find((r) => r.room === 'r');

test('a room event computed before our read marker reached its head does not bring the badge back', () => {
  const { l } = list();
  l.set([{ room: 'r', title: 't', head: 4, read: 4, unread: 0, last: msg(4) }]);
  l.update({ t: 'room', room: 'r', head: 5, unread: 1, last: msg(5) });
  assert.equal(row(l).unread, 1);
  l.read('r', 5); // markRead (or our own read event): unread 0 at once
  assert.deepEqual([row(l).read, row(l).unread], [5, 0]);
  // The coalesced event that was computed before the read: same head, old count.
  l.update({ t: 'room', room: 'r', head: 5, unread: 1, last: msg(5) });
  assert.deepEqual([row(l).read, row(l).unread, row(l).head], [5, 0, 5]);
  // A real new message after the marker counts again, but never more than head - read.
  l.update({ t: 'room', room: 'r', head: 7, unread: 3, last: msg(7) });
  assert.deepEqual([row(l).head, row(l).unread], [7, 2]);
  l.update({ t: 'room', room: 'r', head: 7, unread: 1, last: msg(7) });
  assert.equal(row(l).unread, 1, 'a count below the bound is the broker\'s');
});

test('a refetch whose read marker lags behind ours (read not acknowledged yet) keeps ours', () => {
  const { l } = list();
  l.set([{ room: 'r', head: 6, read: 2, unread: 4, last: msg(6) }]);
  l.read('r', 6);
  assert.equal(row(l).unread, 0);
  l.set([{ room: 'r', head: 6, read: 2, unread: 4, last: msg(6) }]);
  assert.deepEqual([row(l).read, row(l).unread], [6, 0]);
  l.set([{ room: 'r', head: 9, read: 2, unread: 7, last: msg(9) }]);
  assert.deepEqual([row(l).read, row(l).unread], [6, 3]);
  // The broker's marker ahead of ours (another device read further): the broker's wins.
  l.set([{ room: 'r', head: 9, read: 9, unread: 0, last: msg(9) }]);
  assert.deepEqual([row(l).read, row(l).unread], [9, 0]);
});

test('markers read before the list was fetched, and rooms new to the list, are covered too', () => {
  const { l, refetches } = list();
  l.read('r', 3); // not tracking yet: remembered
  assert.equal(l.list.length, 0);
  l.set([{ room: 'r', head: 3, read: 1, unread: 2, last: msg(3) }]);
  assert.deepEqual([row(l).read, row(l).unread], [3, 0]);
  l.read('n', 8);
  l.update({ t: 'room', room: 'n', head: 8, unread: 2, last: null });
  assert.equal(refetches(), 1);
  assert.deepEqual(l.list.map((r) => [r.room, r.unread]), [['n', 0], ['r', 0]]);
});

test('every change is a new array of new rows; no change emits nothing', () => {
  const { l, emitted } = list();
  l.set([{ room: 'r', head: 2, read: 2, unread: 0, last: msg(2) }]);
  const first = l.list;
  l.read('r', 2); // not ahead: nothing
  assert.equal(emitted.length, 1);
  assert.equal(l.list, first);
  l.update({ t: 'room', room: 'r', head: 3, unread: 1, last: msg(3) });
  assert.notEqual(l.list, first);
  assert.notEqual(l.list[0], first[0]);
  assert.equal(emitted.length, 2);
});

test('a refetch answered before a room event it crossed does not undo the event', () => {
  const { l, refetches } = list();
  l.set([{ room: 'old', title: 'o', head: 2, read: 2, unread: 0, last: null }]);
  // A room appears (created by someone else): listed at once, and a refetch goes out.
  l.update({ t: 'room', room: 'r', head: 0, unread: 0, last: null });
  assert.equal(refetches(), 1);
  const since = l.mark();
  // Its first message arrives as a room event while the refetch is on its way...
  l.update({ t: 'room', room: 'r', head: 1, unread: 1, last: msg(1) });
  // ...and the answer was read before that message was stored.
  assert.equal(l.set([{ room: 'r', title: 'second', head: 0, read: 0, unread: 0, last: null },
    { room: 'old', title: 'o', head: 2, read: 2, unread: 0, last: null }], since), false);
  assert.deepEqual(l.list.map((r) => [r.room, r.title, r.head, r.unread, r.last?.body ?? null]),
    [['r', 'second', 1, 1, 'm1'], ['old', 'o', 2, 0, null]]);
  // A room the answer lacks (it appeared after the snapshot) stays listed.
  const since2 = l.mark();
  l.update({ t: 'room', room: 'n', head: 3, unread: 3, last: null });
  assert.equal(l.set([{ room: 'r', title: 'second', head: 1, read: 0, unread: 1, last: msg(1) }], since2),
    true, 'the answer lacked a room: another refetch brings its title');
  assert.deepEqual(l.list.map((r) => r.room), ['n', 'r']);
  // An answer as new as the events (or newer) is taken as it is, in its order.
  const since3 = l.mark();
  l.set([{ room: 'r', title: 'second', head: 1, read: 1, unread: 0, last: msg(1) },
    { room: 'n', title: 'third', head: 3, read: 0, unread: 3, last: null }], since3);
  assert.deepEqual(l.list.map((r) => [r.room, r.title, r.unread]), [['r', 'second', 0], ['n', 'third', 3]]);
});
