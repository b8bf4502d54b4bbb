// The message box: send on Enter (Shift+Enter for a new line), typing notifications, and
// editing one of your messages in place of a new one.

import { icon } from '../ui.js';
import { state, roomView, update } from '../state.js';
import * as session from '../session.js';

const drafts = new Map(); // room id -> unsent text, kept while switching conversations
let shownRoom = null;

function fit(input) {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

export function initComposer(root) {
  const form = root.querySelector('#composer');
  const input = root.querySelector('#composer-input');
  root.querySelector('#send').append(icon('send'));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = state.activeId;
    const body = input.value.trim();
    if (!id) return;
    if (state.editing) {
      const { seq } = state.editing;
      const before = roomView(id).messages?.find((m) => m.seq === seq)?.body;
      if (body && body !== before) session.edit(id, seq, body);
      cancelEdit(root); // back to the draft that was there before the edit
      return;
    }
    if (!body) return;
    session.send(id, body);
    drafts.delete(id);
    input.value = '';
    fit(input);
    input.focus();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    } else if (e.key === 'Escape' && state.editing) {
      cancelEdit(root);
    } else if (e.key === 'ArrowUp' && !input.value && !state.editing && state.activeId) {
      // Up in an empty box edits your last message, as in most chat apps.
      const last = roomView(state.activeId).messages?.findLast((m) => m.from === state.me.id && !m.deleted);
      if (last) { e.preventDefault(); startEdit(root, last.seq); }
    }
  });
  input.addEventListener('input', () => {
    fit(input);
    if (!state.activeId || state.editing) return;
    drafts.set(state.activeId, input.value);
    if (input.value.trim()) session.typing(state.activeId);
    else session.stopTyping(state.activeId);
  });
  input.addEventListener('blur', () => state.activeId && session.stopTyping(state.activeId));
  root.querySelector('#cancel-edit').addEventListener('click', () => cancelEdit(root));
}

/** Called on every render: swaps drafts when the open conversation changes. */
export function syncComposer(root) {
  const input = root.querySelector('#composer-input');
  root.querySelector('#editing-bar').hidden = !state.editing;
  root.querySelector('#composer').classList.toggle('is-editing', !!state.editing);
  if (shownRoom === state.activeId) return;
  if (shownRoom && !state.editing) drafts.set(shownRoom, input.value);
  shownRoom = state.activeId;
  input.value = drafts.get(shownRoom) ?? '';
  fit(input);
  if (state.editing && state.editing.room !== shownRoom) update({ editing: null });
}

export function startEdit(root, seq) {
  const id = state.activeId;
  const message = roomView(id).messages?.find((m) => m.seq === seq);
  if (!message) return;
  const input = root.querySelector('#composer-input');
  if (!state.editing) drafts.set(id, input.value);
  update({ editing: { room: id, seq } });
  input.value = message.body;
  fit(input);
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

export function cancelEdit(root) {
  const input = root.querySelector('#composer-input');
  update({ editing: null });
  input.value = drafts.get(state.activeId) ?? '';
  fit(input);
  input.focus();
}
