// The hooks against a real broker (PARLEY_BIN): two or three users, each with an SDK client,
// each rendering hooks with React 18 (react-test-renderer, no DOM).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { connect, devToken } from '@parley/client';
import { useConnectionState, useConversations, usePresence, useRoom } from '../dist/index.js';
import { startBroker } from '../../test-support/broker.mjs';
import { renderHook } from './render.js';

let broker;
const clients = [];
const renders = [];

function client(user) {
  const c = connect({
    url: broker.url,
    getToken: () => devToken(broker.url, user),
    WebSocket,
    requestTimeoutMs: 5000,
  });
  clients.push(c);
  return c;
}

async function render(c, hook, opts) {
  const r = await renderHook(c, hook, opts);
  renders.push(r);
  return r;
}

const bodies = (messages) => messages.map((m) => m.body);
const confirmed = (messages) => messages.filter((m) => m.pending === undefined);

before(async () => {
  broker = await startBroker([
    '--dev-tokens', 'true',
    '--presence-grace-ms', '200',
    // Requests of the tests come fast; rate limiting is not what is tested here.
    '--rate-per-s', '1000',
    '--rate-burst', '1000',
  ]);
});

after(async () => {
  for (const r of renders) await r.unmount().catch(() => {});
  for (const c of clients) c.close();
  await broker?.stop();
});

describe('useConnectionState', () => {
  test('goes from connecting to open, and to closed after close()', async () => {
    const c = client('conn-user');
    const r = await render(c, () => useConnectionState());
    assert.ok(['connecting', 'open'].includes(r.current), r.current);
    await r.waitFor((s) => s === 'open', 'state open');
    await r.act(() => c.close());
    await r.waitFor((s) => s === 'closed', 'state closed');
  });
});

describe('useRoom', () => {
  let alice;
  let bob;
  let roomId;
  let ra; // alice's useRoom
  let rb; // bob's useRoom

  before(async () => {
    alice = client('alice');
    bob = client('bob');
    roomId = await alice.createRoom({ members: ['bob'], title: 'hooks' });
    // Messages from before anyone renders the room: they come from history.
    await alice.room(roomId).send('early 1');
    await alice.room(roomId).send('early 2');
    ra = await render(alice, () => useRoom(roomId));
    rb = await render(bob, () => useRoom(roomId));
  });

  test('loads the latest messages and joins', async () => {
    for (const r of [ra, rb]) {
      const v = await r.waitFor((v) => v.joined && !v.loading, 'joined and loaded');
      assert.deepEqual(bodies(v.messages), ['early 1', 'early 2']);
      assert.equal(v.hasMore, false);
      assert.equal(v.error, undefined);
    }
  });

  test('shows a send at once as pending, then stored; the other user receives it', async () => {
    let sending;
    await ra.act((v) => {
      sending = v.send('hello bob');
    });
    const last = ra.current.messages.at(-1);
    assert.equal(last.body, 'hello bob');
    assert.ok(['queued', 'sending', 'sent'].includes(last.pending), `pending entry: ${JSON.stringify(last)}`);
    assert.equal(last.from, 'alice');
    const pendingKey = last.key;

    const ack = await sending;
    const stored = await ra.waitFor(
      (v) => v.messages.some((m) => m.seq === ack.seq && m.pending === undefined),
      "alice's message stored",
    );
    assert.equal(stored.messages.filter((m) => m.body === 'hello bob').length, 1, 'no duplicate');
    assert.equal(stored.messages.find((m) => m.seq === ack.seq).key, pendingKey, 'the key survives the ack');

    const seen = await rb.waitFor((v) => v.messages.some((m) => m.seq === ack.seq), 'bob receives it');
    const msg = seen.messages.find((m) => m.seq === ack.seq);
    assert.equal(msg.from, 'alice');
    assert.equal(msg.body, 'hello bob');
  });

  test('keeps both users in seq order with received replies', async () => {
    const ack = await rb.act((v) => v.send('hi alice'));
    const v = await ra.waitFor((v) => v.messages.some((m) => m.seq === ack.seq), 'alice receives the reply');
    assert.deepEqual(bodies(v.messages), ['early 1', 'early 2', 'hello bob', 'hi alice']);
    for (const r of [ra, rb]) {
      const seqs = confirmed(r.current.messages).map((m) => m.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.equal(new Set(r.current.messages.map((m) => m.key)).size, r.current.messages.length, 'unique keys');
    }
  });

  test('edit, react and delete reach the other user', async () => {
    const target = ra.current.messages.find((m) => m.body === 'hello bob').seq;
    await ra.act((v) => v.edit(target, 'hello bob (edited)'));
    await rb.waitFor(
      (v) => v.messages.find((m) => m.seq === target)?.body === 'hello bob (edited)',
      'bob sees the edit',
    );
    await rb.act((v) => v.react(target, '👍'));
    const reacted = await ra.waitFor(
      (v) => v.messages.find((m) => m.seq === target)?.reactions?.['👍']?.includes('bob'),
      'alice sees the reaction',
    );
    assert.ok(reacted.messages.find((m) => m.seq === target).edited_ts > 0);
    const early = ra.current.messages.find((m) => m.body === 'early 1').seq;
    await ra.act((v) => v.deleteMessage(early));
    const v = await rb.waitFor((v) => v.messages.find((m) => m.seq === early)?.deleted === true, 'bob sees the delete');
    assert.equal(v.messages.find((m) => m.seq === early).body, '');
  });

  test('typing users and read markers', async () => {
    await rb.act((v) => v.typing());
    await ra.waitFor((v) => v.typingUsers.includes('bob'), 'alice sees bob typing');
    await rb.act((v) => v.stopTyping());
    await ra.waitFor((v) => !v.typingUsers.includes('bob'), 'bob stopped typing');

    const head = Math.max(...confirmed(rb.current.messages).map((m) => m.seq));
    await rb.act((v) => v.markRead(head));
    await ra.waitFor((v) => (v.reads.bob ?? 0) >= head, "alice sees bob's read marker");
  });

  test('a second useRoom of the same room shares the state; unmounting one keeps the room joined', async () => {
    const second = await renderHook(alice, () => useRoom(roomId));
    const v = await second.waitFor((v) => v.joined && !v.loading, 'second hook ready');
    assert.deepEqual(bodies(v.messages), bodies(ra.current.messages));
    await second.unmount();
    const ack = await rb.act((v) => v.send('still there?'));
    await ra.waitFor((v) => v.messages.some((m) => m.seq === ack.seq), 'the first hook still receives');
  });
});

describe('useRoom, more', () => {
  test('a send before the connection is open shows as queued, then is stored exactly once', async () => {
    const host = client('hank');
    const roomId = await host.createRoom({ members: ['gina'] });
    await host.room(roomId).send('welcome gina');
    // Gina's token is held back until the test releases it: the client stays 'connecting'.
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const gina = connect({
      url: broker.url,
      getToken: () => gate.then(() => devToken(broker.url, 'gina')),
      WebSocket,
      requestTimeoutMs: 5000,
    });
    clients.push(gina);
    const r = await render(gina, () => useRoom(roomId));
    assert.equal(gina.state, 'connecting');
    let sent;
    await r.act((v) => {
      sent = v.send('sent while offline');
    });
    const queued = r.current.messages.filter((m) => m.pending !== undefined);
    assert.deepEqual(queued.map((m) => [m.body, m.pending]), [['sent while offline', 'queued']]);
    assert.equal(r.current.loading, true);

    release();
    const ack = await sent;
    const v = await r.waitFor(
      (v) => !v.loading && v.joined && v.messages.every((m) => m.pending === undefined) && v.messages.length === 2,
      'both messages stored, nothing pending',
    );
    assert.deepEqual(bodies(v.messages), ['welcome gina', 'sent while offline']);
    assert.equal(v.messages[1].seq, ack.seq);
  });

  test('pages older messages with loadOlder', async () => {
    const ivy = client('ivy');
    const roomId = await ivy.createRoom({ members: [] });
    const room = ivy.room(roomId);
    for (let i = 1; i <= 55; i++) await room.send(`m${i}`);
    const r = await render(ivy, () => useRoom(roomId));
    let v = await r.waitFor((v) => !v.loading, 'first page');
    assert.equal(v.messages.length, 50);
    assert.equal(v.messages[0].body, 'm6');
    assert.equal(v.hasMore, true);
    await r.act((v) => v.loadOlder());
    v = await r.waitFor((v) => v.messages.length === 55 && !v.loadingOlder, 'older page');
    assert.deepEqual(bodies(v.messages), Array.from({ length: 55 }, (_, i) => `m${i + 1}`));
    assert.equal(v.hasMore, false);
  });

  test('under StrictMode (effects run twice), and after the last unmount and a new mount', async () => {
    const lena = client('lena');
    const mike = client('mike');
    const roomId = await lena.createRoom({ members: ['mike'] });
    const r1 = await render(lena, () => useRoom(roomId), { strict: true });
    await r1.waitFor((v) => v.joined && !v.loading, 'joined under StrictMode');
    const a1 = await mike.room(roomId).send('first');
    await r1.waitFor((v) => bodies(v.messages).join() === 'first', 'live message under StrictMode');
    await r1.unmount();

    const a2 = await mike.room(roomId).send('second');
    await mike.room(roomId).edit(a1.seq, 'first (edited)');
    const r2 = await render(lena, () => useRoom(roomId));
    const v = await r2.waitFor((v) => v.joined && !v.loading, 'joined again');
    assert.deepEqual(bodies(v.messages), ['first (edited)', 'second']);
    assert.equal(v.messages[1].seq, a2.seq);
    const a3 = await mike.room(roomId).send('third');
    await r2.waitFor((v) => v.messages.at(-1)?.seq === a3.seq, 'live again');
  });

  test('a room the user is no member of reports forbidden', async () => {
    const owner = client('jack');
    const roomId = await owner.createRoom({ members: [] });
    const r = await render(client('kate'), () => useRoom(roomId));
    const v = await r.waitFor((v) => v.error !== undefined, 'an error');
    assert.equal(v.error.code, 'forbidden');
    assert.equal(v.loading, false);
    assert.equal(v.joined, false);
  });
});

describe('useConversations', () => {
  test('lists a room created after mounting, with the unread count of another user\'s message', async () => {
    const carol = client('carol');
    const dave = client('dave');
    const rc = await render(carol, () => useConversations());
    await rc.waitFor((v) => !v.loading, 'first list');
    assert.equal(rc.current.error, undefined);

    const roomId = await dave.createRoom({ members: ['carol'], title: 'news for carol' });
    const room = dave.room(roomId);
    await room.send('one');
    await room.send('two');
    const v = await rc.waitFor(
      (v) => v.rooms.find((r) => r.room === roomId)?.unread === 2,
      'the room with 2 unread',
    );
    const row = v.rooms.find((r) => r.room === roomId);
    assert.equal(row.last?.body, 'two');
    assert.equal(v.rooms[0].room, roomId, 'most recent first');
    assert.ok(v.unreadTotal >= 2);

    // Reading it (through useRoom) brings the count back to 0.
    const rr = await render(carol, () => useRoom(roomId));
    await rr.waitFor((v) => v.joined && v.messages.length === 2, "carol's room loaded");
    await rr.act((v) => v.markRead());
    await rc.waitFor((v) => v.rooms.find((r) => r.room === roomId)?.unread === 0, 'unread 0 after markRead');
  });
});

describe('usePresence', () => {
  test('follows a user going online and offline', async () => {
    const erin = client('erin');
    const rp = await render(erin, () => usePresence(['frank']));
    const off = await rp.waitFor((v) => v.frank?.status === 'offline', 'frank offline');
    assert.equal(off.frank.user, 'frank');

    const frank = client('frank');
    await rp.waitFor((v) => v.frank?.status === 'online', 'frank online');
    frank.close();
    await rp.waitFor((v) => v.frank?.status === 'offline' && v.frank.last_seen > 0, 'frank offline again');
  });
});
