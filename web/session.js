// The page's use of the SDK: one client, the rooms it has joined, and the page state kept
// up to date from the client's events.

import { connect, devToken, applyEvent } from './sdk/index.js';
import { state, roomView, changed, update, setPresence, showNotice } from './state.js';
import { userIdFor } from './ui.js';

let client = null;
const wired = new Set();      // room ids whose handle has our listeners
const joining = new Map();    // room id -> join promise
const watched = new Set();    // users whose presence we subscribed to

// Only for the banner's wording: the SDK itself drops the connection when the browser goes
// offline and reconnects when it is back (its `networkEvents` option, on by default).
addEventListener('offline', () => update({ browserOnline: false }));
addEventListener('online', () => update({ browserOnline: true }));

export function start(me, base) {
  stop();
  client = connect({
    url: base.replace(/^http/, 'ws') + '/ws',
    getToken: () => devToken(base, me.id, me.name),
    backoff: { initialMs: 500, maxMs: 5000 },
  });
  client.on('state', (e) => {
    const reconnected = e.state === 'open' && state.wasOpen;
    update({ connection: e.state, retryInMs: e.retryInMs ?? 0, wasOpen: state.wasOpen || e.state === 'open', justReconnected: reconnected });
    if (reconnected) setTimeout(() => update({ justReconnected: false }), 2500);
    if (e.state === 'closed' && e.closeCode === 4003) showNotice('The server disconnected this account.');
  });
  client.on('rooms', (list) => { update({ summaries: [...list] }); joinAll(list.map((s) => s.room)); });
  client.on('presence', (e) => setPresence(e));
  client.on('outbox', (entries) => update({ outbox: [...entries] }));
  client.on('error', (e) => console.warn('parley:', e.code, e.message));
  client.rooms({ limit: 100 }).catch((e) => showNotice(`Could not load conversations: ${e.message}`));
}

export function stop() {
  if (!client) return;
  client.close();
  client = null;
  wired.clear();
  joining.clear();
  watched.clear();
}

export const presenceOf = (user) => client?.presence(user) ?? state.presence.get(user);
export const typingIn = (id) => (client ? client.room(id).typingUsers : []);
export const readsIn = (id) => (client ? client.room(id).reads : {});

function wire(id) {
  const room = client.room(id);
  if (wired.has(id)) return room;
  wired.add(id);
  room.on('event', (e) => onRoomEvent(id, e));
  room.on('error', (e) => console.warn('parley room', id, e.code, e.message));
  return room;
}

function onRoomEvent(id, e) {
  const view = roomView(id);
  if (e.t === 'msg' || e.t === 'edit' || e.t === 'delete' || e.t === 'react') {
    if (view.messages) view.messages = applyEvent(view.messages, e);
    if (e.t === 'msg' && id === state.activeId) markRead(id);
  } else if (e.t === 'member') {
    view.members ??= new Set();
    if (e.action === 'added') view.members.add(e.user);
    else view.members.delete(e.user);
    watch([e.user]);
  }
  changed();
}

/** Joins a room once (the SDK re-joins it after every reconnect) and learns its members. */
export function join(id) {
  if (!client) return Promise.resolve();
  if (!joining.has(id)) {
    const room = wire(id);
    const p = room.join().then((res) => {
      const view = roomView(id);
      if (res.reads) {
        view.members = new Set([...(view.members ?? []), ...Object.keys(res.reads)]);
        watch([...view.members]);
      }
      changed();
    }).catch((e) => {
      joining.delete(id);
      console.warn('parley join', id, e.code, e.message);
    });
    joining.set(id, p);
  }
  return joining.get(id);
}

async function joinAll(ids) {
  for (const id of ids.slice(0, 100)) await join(id);
}

function watch(users) {
  const fresh = users.filter((u) => u !== state.me?.id && !watched.has(u));
  if (!fresh.length || !client) return;
  fresh.forEach((u) => watched.add(u));
  client.subscribePresence(fresh).then((list) => list.forEach(setPresence))
    .catch(() => fresh.forEach((u) => watched.delete(u)));
}

/** Loads the latest messages of a room the first time it is opened, or older ones. */
export async function loadMessages(id, older = false) {
  const view = roomView(id);
  if (!client || view.loading || (view.messages && !older)) return;
  view.loading = true;
  view.error = null;
  view.messages ??= [];
  changed();
  try {
    await join(id);
    const before = older && view.messages.length ? view.messages[0].seq : undefined;
    const res = await client.room(id).history({ limit: 50, before });
    const known = new Set(view.messages.map((m) => m.seq));
    let list = view.messages;
    for (const m of res.messages) if (!known.has(m.seq)) list = applyEvent(list, m);
    view.messages = list;
    view.more = res.more;
    view.loaded = true;
    if (id === state.activeId) markRead(id);
  } catch (e) {
    if (view.loaded) {
      showNotice(`Could not load messages: ${e.message}`);
    } else {
      view.messages = null;
      view.error = e.code === 'forbidden' || e.code === 'not_found'
        ? 'This conversation does not exist, or you are not a member of it.'
        : `Could not load messages (${e.message}).`;
    }
  } finally {
    view.loading = false;
    changed();
  }
}

export function markRead(id) {
  if (!client || document.visibilityState !== 'visible') return;
  client.room(id).markRead().catch(() => {});
}

export function send(id, body) {
  const room = wire(id);
  room.send(body).then((ack) => {
    // The ack can come before the message event: show the stored message at once.
    const view = roomView(id);
    if (view.messages && !view.messages.some((m) => m.seq === ack.seq)) {
      view.messages = applyEvent(view.messages, { t: 'msg', room: id, seq: ack.seq, ts: ack.ts, cid: ack.cid, from: state.me.id, body, kind: 'text' });
      changed();
    }
  }).catch((e) => showNotice(`Message not sent: ${e.message}`));
}

export function typing(id) { client?.room(id).typing(); }
export function stopTyping(id) { client?.room(id).stopTyping(); }

export function edit(id, seq, body) {
  return client.room(id).edit(seq, body).catch((e) => showNotice(`Could not edit: ${e.message}`));
}

export function remove(id, seq) {
  return client.room(id).delete(seq).catch((e) => showNotice(`Could not delete: ${e.message}`));
}

/** Starts a conversation with people typed by name or id. A one-to-one conversation without
 * a title gets a fixed id, so asking again opens the existing one. Returns the room id. */
export async function createConversation(people, title) {
  const me = state.me.id;
  const members = [...new Set(people.map(userIdFor).filter((u) => u && u !== me))];
  if (!members.length) throw new Error('Add at least one other person.');
  let id;
  const direct = members.length === 1 && !title ? `dm:${[me, members[0]].sort().join(':')}` : null;
  if (direct && direct.length <= 128) {
    try {
      id = await client.createRoom({ room: direct, members });
    } catch (e) {
      if (e.code !== 'conflict') throw e;
      id = direct;
    }
  } else {
    id = await client.createRoom({ members, title: title || undefined });
  }
  const view = roomView(id);
  view.members = new Set([...(view.members ?? []), me, ...members]);
  if (title) view.title = title;
  watch(members);
  await join(id);
  client.rooms({ limit: 100 }).catch(() => {});
  return id;
}
