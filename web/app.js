// Entry point: sign-in, the app shell, routing (#room-id), the connection banner and the
// new-conversation and delete dialogs. Rendering is in views/, SDK use in session.js.

import { state, subscribe, update } from './state.js';
import * as session from './session.js';
import { userIdFor } from './ui.js';
import { renderSidebar } from './views/sidebar.js';
import { renderChat } from './views/chat.js';
import { initComposer, syncComposer, startEdit } from './views/composer.js';

const $ = (sel) => document.querySelector(sel);
const STORAGE_KEY = 'parley.me';
// The broker that serves this page; ?server=http://host:port points the page elsewhere.
const BASE = new URLSearchParams(location.search).get('server') || location.origin;

function signedIn() {
  try { return JSON.parse(localStorage.getItem(STORAGE_KEY)); } catch { return null; }
}

function showSignIn() {
  $('#app').hidden = true;
  $('#signin').hidden = false;
  $('#signin-name').focus();
}

async function signIn(name) {
  const id = userIdFor(name);
  if (!id) throw new Error('Use at least one letter or digit.');
  // Ask for a token once here so a broker without dev tokens fails on this form.
  const res = await fetch(`${BASE}/api/dev/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: id, name }),
  }).catch(() => null);
  if (!res?.ok) throw new Error(res ? `The server refused to sign you in (${res.status}).` : 'The server cannot be reached.');
  const me = { id, name: name.trim() };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(me));
  return me;
}

function startApp(me) {
  update({ me, activeId: null, summaries: [], outbox: [], wasOpen: false, connection: 'connecting' });
  state.rooms.clear();
  $('#signin').hidden = true;
  $('#app').hidden = false;
  session.start(me, BASE);
  route();
}

function signOut() {
  session.stop();
  localStorage.removeItem(STORAGE_KEY);
  history.replaceState(null, '', location.pathname + location.search);
  update({ me: null, activeId: null });
  document.title = 'Parley';
  showSignIn();
}

/** The open conversation follows the URL fragment, so Back and reloads keep it. */
function route() {
  const id = decodeURIComponent(location.hash.slice(1)) || null;
  if (id === state.activeId) return;
  update({ activeId: id, editing: null });
  if (!id) return;
  session.loadMessages(id);
  session.markRead(id);
  if (matchMedia('(min-width: 760px)').matches) $('#composer-input').focus();
}

function openRoom(id) {
  if (location.hash.slice(1) !== encodeURIComponent(id)) location.hash = encodeURIComponent(id);
  else route();
}

function renderBanner() {
  const banner = $('#banner');
  let text = null;
  let kind = 'warn';
  if (state.connection === 'reconnecting' || (state.connection === 'connecting' && state.wasOpen)) {
    const queued = state.outbox.length;
    text = !state.browserOnline ? 'You are offline. Waiting for the network…' : 'Connection lost. Reconnecting…';
    if (queued) text += ` ${queued} message${queued > 1 ? 's' : ''} will be sent when you are back.`;
  } else if (state.connection === 'closed' && state.me) {
    text = 'Disconnected. Reload the page to connect again.';
    kind = 'error';
  } else if (state.justReconnected) {
    text = 'Back online.';
    kind = 'ok';
  }
  banner.hidden = !text;
  banner.className = `banner banner-${kind}`;
  banner.dataset.state = state.connection;
  banner.textContent = text ?? '';
}

function renderToast() {
  const toast = $('#toast');
  toast.hidden = !state.notice;
  toast.textContent = state.notice?.text ?? '';
}

function render() {
  if (!state.me) return;
  const unread = state.summaries.reduce((n, s) => n + s.unread, 0);
  document.title = unread ? `(${unread}) Parley` : 'Parley';
  renderBanner();
  renderSidebar(document);
  renderChat(document);
  syncComposer(document);
  renderToast();
}

function initDialogs() {
  const dialog = $('#new-dialog');
  const error = $('#new-error');
  $('#new-chat').addEventListener('click', () => {
    $('#new-form').reset();
    error.textContent = '';
    dialog.showModal();
  });
  $('#new-cancel').addEventListener('click', () => dialog.close());
  $('#new-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const people = $('#new-people').value.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean);
    const title = $('#new-title').value.trim();
    const submit = $('#new-submit');
    submit.disabled = true;
    error.textContent = '';
    try {
      const id = await session.createConversation(people, title);
      dialog.close();
      openRoom(id);
    } catch (err) {
      error.textContent = err.message || 'Could not start the conversation.';
    } finally {
      submit.disabled = false;
    }
  });
}

async function confirmDelete() {
  const dialog = $('#confirm-dialog');
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  return dialog.returnValue === 'delete';
}

function initActions() {
  document.addEventListener('click', async (e) => {
    const target = e.target.closest('[data-action], #sign-out');
    if (!target) return;
    if (target.id === 'sign-out') return signOut();
    const seq = Number(target.dataset.seq);
    switch (target.dataset.action) {
      case 'back': location.hash = ''; break;
      case 'edit': startEdit(document, seq); break;
      case 'delete': if (await confirmDelete()) session.remove(state.activeId, seq); break;
      case 'older': $('#messages').dataset.older = '1'; session.loadMessages(state.activeId, true); break;
      case 'retry': session.loadMessages(state.activeId); break;
    }
  });
}

function init() {
  subscribe(render);
  initComposer(document);
  initDialogs();
  initActions();
  addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => state.activeId && session.markRead(state.activeId));
  $('#signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = e.target.querySelector('button');
    button.disabled = true;
    $('#signin-error').textContent = '';
    try {
      startApp(await signIn($('#signin-name').value));
    } catch (err) {
      $('#signin-error').textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  const me = signedIn();
  if (me?.id) startApp(me); else showSignIn();
}

init();
