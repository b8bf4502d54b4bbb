// The open conversation: header, grouped messages with receipts, typing indicator.

import { el, avatar, icon, clockTime, dayLabel, isSameDay, lastSeenText, nameList } from '../ui.js';
import { state, roomView, roomTitle, othersIn, isDirect, nameOf, pendingIn } from '../state.js';
import { presenceOf, typingIn, readsIn } from '../session.js';
import { roomAvatar } from './sidebar.js';

const GROUP_GAP_MS = 5 * 60 * 1000;
let lastKey = null;

function subtitle(id) {
  if (roomView(id).error) return '';
  const others = othersIn(id);
  if (isDirect(id)) return lastSeenText(presenceOf(others[0])) || 'Offline';
  const online = others.filter((u) => presenceOf(u)?.status === 'online').length;
  const total = others.length + 1;
  return `${total} member${total > 1 ? 's' : ''}${online ? ` · ${online} online` : ''}`;
}

function renderHead(head, id) {
  const others = othersIn(id);
  head.replaceChildren(...[
    el('button.icon-btn.back-btn', { type: 'button', 'aria-label': 'Back to conversations', dataset: { action: 'back' } }, icon('back')),
    roomAvatar(id),
    el('div.chat-title',
      el('h2', roomTitle(id)),
      el('span.chat-sub.muted', subtitle(id))),
    isDirect(id) ? null : el('div.member-stack', others.slice(0, 5).map((u) =>
      avatar(nameOf(u), { size: 'sm', key: u, status: presenceOf(u)?.status ?? 'offline' })))].filter(Boolean));
}

/** One bubble. A stored message has a seq; a pending one (outbox entry) has only a cid. */
function bubble(m, mine, pending) {
  const deleted = m.deleted;
  const attrs = { class: `msg${mine ? ' mine' : ''}${deleted ? ' deleted' : ''}${pending ? ' pending' : ''}` };
  if (pending) attrs['data-cid'] = m.cid; else attrs['data-seq'] = m.seq;
  const meta = el('span.msg-meta',
    m.edited_ts && !deleted ? el('span.edited', 'edited') : null,
    pending
      ? el('span.pending-label', { title: 'Waiting to be sent' }, icon('clock'), state.connection === 'open' ? 'Sending…' : 'Pending')
      : el('time', { datetime: new Date(m.ts).toISOString(), title: new Date(m.ts).toLocaleString() }, clockTime(m.ts)));
  const actions = mine && !pending && !deleted ? el('span.msg-actions',
    el('button.icon-btn.sm', { type: 'button', title: 'Edit', 'aria-label': 'Edit message', dataset: { action: 'edit', seq: m.seq } }, icon('edit')),
    el('button.icon-btn.sm', { type: 'button', title: 'Delete', 'aria-label': 'Delete message', dataset: { action: 'delete', seq: m.seq } }, icon('trash'))) : null;
  return el('div', attrs,
    actions,
    el('div.bubble', el('span.msg-body', deleted ? 'This message was deleted' : m.body), meta));
}

function receipt(id, seq) {
  const reads = readsIn(id);
  const seen = othersIn(id).filter((u) => (reads[u] ?? 0) >= seq);
  if (!seen.length) return el('div.receipt.muted', icon('check'), 'Sent');
  const who = isDirect(id) ? '' : ` by ${nameList(seen.map((u) => nameOf(u).split(' ')[0]))}`;
  const all = seen.length === othersIn(id).length && !isDirect(id) && seen.length > 2;
  return el('div.receipt.seen', { title: `Seen by ${seen.map(nameOf).join(', ')}` },
    icon('check'), all ? 'Seen by everyone' : `Seen${who}`);
}

function renderMessages(box, id) {
  const view = roomView(id);
  const me = state.me.id;
  const stored = view.messages ?? [];
  const pending = pendingIn(id).map((e) => ({ ...e, from: me, ts: e.queuedAt }));
  const all = [...stored.map((m) => [m, false]), ...pending.map((m) => [m, true])];
  const lastMine = [...stored].reverse().find((m) => m.from === me && !m.deleted);
  const nodes = [];
  if (view.more) {
    nodes.push(el('div.load-more', el('button.link-btn', { type: 'button', dataset: { action: 'older' } },
      view.loading ? 'Loading…' : 'Load earlier messages')));
  }
  if (!all.length) {
    nodes.push(el('div.messages-empty', view.error && !view.loading
      ? [el('p', view.error), el('button.link-btn', { type: 'button', dataset: { action: 'retry' } }, 'Try again')]
      : view.loading || !view.messages ? el('p.muted', 'Loading messages…')
      : [roomAvatar(id, 'lg'), el('p', `This is the beginning of your conversation with ${roomTitle(id)}.`), el('p.muted', 'Say hello!')]));
  }
  let group = null;
  let prev = null;
  for (const [m, isPending] of all) {
    if (!prev || !isSameDay(prev.ts, m.ts)) {
      nodes.push(el('div.day', el('span', dayLabel(m.ts))));
      prev = null;
    }
    const mine = m.from === me;
    if (!prev || prev.from !== m.from || m.ts - prev.ts > GROUP_GAP_MS) {
      group = el(`div.group${mine ? '.mine' : '.theirs'}`, { dataset: { from: m.from } },
        mine ? null : avatar(nameOf(m.from), { size: 'sm', key: m.from }),
        el('div.group-body', mine || isDirect(id) ? null : el('div.group-name', nameOf(m.from))));
      nodes.push(group);
    }
    group.lastChild.append(bubble(m, mine, isPending));
    if (!isPending && m === lastMine) group.lastChild.append(receipt(id, m.seq));
    prev = m;
  }
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const switched = box.dataset.room !== id;
  const oldHeight = box.scrollHeight;
  const oldTop = box.scrollTop;
  box.replaceChildren(...nodes);
  box.dataset.room = id;
  if (switched || nearBottom) box.scrollTop = box.scrollHeight;
  else if (box.dataset.older === '1') box.scrollTop = oldTop + (box.scrollHeight - oldHeight);
  delete box.dataset.older;
}

function renderTyping(node, id) {
  const names = typingIn(id).map((u) => nameOf(u).split(' ')[0]);
  if (!names.length) { node.replaceChildren(); node.classList.remove('on'); return; }
  node.classList.add('on');
  node.replaceChildren(el('span.dots', el('i'), el('i'), el('i')),
    `${nameList(names)} ${names.length > 1 ? 'are' : 'is'} typing…`);
}

export function renderChat(root) {
  const id = state.activeId;
  const head = root.querySelector('#chat-head');
  const box = root.querySelector('#messages');
  const composer = root.querySelector('#composer');
  root.querySelector('#chat-empty').hidden = !!id;
  const typing = root.querySelector('#typing');
  head.hidden = box.hidden = composer.hidden = typing.hidden = !id;
  root.querySelector('#app').classList.toggle('show-chat', !!id);
  if (!id) { lastKey = null; typing.replaceChildren(); return; }
  composer.hidden = !!roomView(id).error;
  renderHead(head, id);
  renderTyping(typing, id);
  const view = roomView(id);
  // Rebuild the message list only when something it shows changed.
  const key = [id, view.messages, view.loading, view.more, view.error, state.outbox, state.connection,
    JSON.stringify(readsIn(id)), view.members?.size, state.summaries].map((v) => (typeof v === 'object' ? objectId(v) : v)).join('|');
  if (key !== lastKey) {
    lastKey = key;
    renderMessages(box, id);
  }
}

const ids = new WeakMap();
let nextId = 1;
function objectId(v) {
  if (v === null || v === undefined) return 'none';
  if (!ids.has(v)) ids.set(v, nextId++);
  return `#${ids.get(v)}`;
}
