// The conversation list and the signed-in user's footer.

import { el, avatar, icon, shortTime } from '../ui.js';
import { state, roomTitle, othersIn, isDirect, nameOf, pendingIn } from '../state.js';
import { presenceOf } from '../session.js';

/** Conversation ids in display order: rooms we created locally (not listed yet) first,
 * then the broker's list, most recent first. */
function orderedRooms() {
  const listed = state.summaries.map((s) => s.room);
  const local = [...state.rooms.keys()].filter((id) => !listed.includes(id) && state.rooms.get(id).members);
  return [...local, ...listed];
}

function preview(id, summary) {
  const pending = pendingIn(id);
  if (pending.length) return { text: `You: ${pending[pending.length - 1].body}`, pending: true };
  const last = summary?.last;
  if (!last) return { text: 'No messages yet', empty: true };
  const body = last.deleted ? 'Message deleted' : last.body;
  if (last.from === state.me.id) return { text: `You: ${body}` };
  return { text: isDirect(id) ? body : `${nameOf(last.from).split(' ')[0]}: ${body}` };
}

export function roomAvatar(id, size = 'md') {
  if (isDirect(id)) {
    const other = othersIn(id)[0];
    return avatar(nameOf(other), { size, key: other, status: presenceOf(other)?.status ?? 'offline' });
  }
  const node = avatar(roomTitle(id), { size, key: id });
  node.classList.add('avatar-group');
  return node;
}

function roomItem(id) {
  const summary = state.summaries.find((s) => s.room === id);
  const unread = summary?.unread ?? 0;
  const p = preview(id, summary);
  const when = summary?.last?.ts;
  return el('a.room', {
    href: `#${encodeURIComponent(id)}`,
    dataset: { room: id },
    'aria-current': id === state.activeId ? 'page' : false,
    class: `room${unread ? ' unread' : ''}${id === state.activeId ? ' active' : ''}`,
  },
  roomAvatar(id),
  el('span.room-main',
    el('span.room-top',
      el('span.room-title', roomTitle(id)),
      when ? el('time.room-time', { datetime: new Date(when).toISOString() }, shortTime(when)) : null),
    el('span.room-bottom',
      el(`span.room-preview${p.empty ? '.muted' : ''}`, p.pending ? icon('clock') : null, p.text),
      unread ? el('span.badge', { 'aria-label': `${unread} unread` }, unread > 99 ? '99+' : String(unread)) : null)));
}

export function renderSidebar(root) {
  const list = root.querySelector('#room-list');
  const ids = orderedRooms();
  list.replaceChildren(...(ids.length
    ? ids.map(roomItem)
    : [el('div.list-empty', el('p', 'No conversations yet.'), el('p.muted', 'Start one with “New chat”.'))]));

  const me = root.querySelector('#me');
  const status = { open: 'Online', connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Signed out' }[state.connection];
  me.replaceChildren(
    avatar(state.me.name, { key: state.me.id, status: state.connection === 'open' ? 'online' : 'offline' }),
    el('span.me-text', el('span.me-name', state.me.name), el('span.me-status.muted', `@${state.me.id} · ${status}`)),
    el('button.icon-btn', { id: 'sign-out', type: 'button', title: 'Sign out', 'aria-label': 'Sign out' }, icon('logout')));
}
