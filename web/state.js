// The page's state: what the views render. Changed only through the functions below (by
// session.js, from SDK events, and by app.js, from the user), each of which asks for a render.

import { displayName } from './ui.js';

const listeners = new Set();
let scheduled = false;

export const state = {
  me: null,             // { id, name }
  connection: 'connecting', // SDK state: connecting | open | reconnecting | closed
  retryInMs: 0,
  browserOnline: navigator.onLine,
  wasOpen: false,       // the connection has been open once (a later loss shows the banner)
  justReconnected: false,
  summaries: [],        // the SDK's tracked conversation list (RoomSummary[])
  rooms: new Map(),     // room id -> RoomView (see roomView)
  activeId: null,
  presence: new Map(),  // user -> { status, last_seen }
  outbox: [],           // the SDK's unacknowledged sends (all rooms)
  editing: null,        // { room, seq } while the composer edits a message
  notice: null,         // { text, kind } a short-lived message (errors)
};

/** Per-room data the SDK does not keep: loaded messages and known members. */
export function roomView(id) {
  let view = state.rooms.get(id);
  if (!view) {
    view = { id, title: '', members: null, messages: null, more: false, loading: false };
    state.rooms.set(id, view);
  }
  return view;
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Coalesces every change of one turn of the event loop into one render. */
export function changed() {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    for (const fn of listeners) fn(state);
  }, 0);
}

export function update(patch) {
  Object.assign(state, patch);
  changed();
}

export function setPresence(info) {
  state.presence.set(info.user, { status: info.status, last_seen: info.last_seen });
  changed();
}

export function summaryOf(id) {
  return state.summaries.find((s) => s.room === id);
}

/** Other members of a room (known from the join reply, member events or our own create). */
export function othersIn(id) {
  const view = state.rooms.get(id);
  if (!view?.members) return [];
  return [...view.members].filter((u) => u !== state.me?.id).sort();
}

export function isDirect(id) {
  const view = state.rooms.get(id);
  return !roomTitle(id, true) && othersIn(id).length === 1 && view?.members?.size === 2;
}

/** The room's title; without one, its other members' names. raw: only a set title. */
export function roomTitle(id, raw = false) {
  const title = summaryOf(id)?.title || state.rooms.get(id)?.title || '';
  if (raw || title) return title;
  const others = othersIn(id).map(displayName);
  if (others.length) return others.length > 3 ? `${others.slice(0, 3).join(', ')} +${others.length - 3}` : others.join(', ');
  return state.rooms.get(id)?.members ? 'Just you' : 'Conversation';
}

export function nameOf(user) {
  if (user === state.me?.id) return state.me.name;
  return displayName(user);
}

/** Outbox entries of a room, in order: messages not yet stored by the broker. */
export function pendingIn(id) {
  return state.outbox.filter((e) => e.room === id);
}

export function showNotice(text, kind = 'error') {
  const notice = { text, kind };
  update({ notice });
  setTimeout(() => { if (state.notice === notice) update({ notice: null }); }, 5000);
}
