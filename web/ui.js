// Small DOM and formatting helpers shared by the views.

/** el('div.a.b', {attrs}, ...children): creates an element. Strings become text nodes;
 * null, undefined and false children are skipped. */
export function el(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const node = document.createElement(name || 'div');
  if (classes.length) node.className = classes.join(' ');
  if (!attrs || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** A user id for a typed name: "Ada Lovelace" -> "ada-lovelace". */
export function userIdFor(name) {
  return name.trim().toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
}

/** A display name for a user id: "ada-lovelace" -> "Ada Lovelace". */
export function displayName(user) {
  return String(user).split(/[-_.]+/).filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1)).join(' ') || String(user);
}

export function initials(name) {
  const words = String(name).trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const letters = words.length === 1 ? words[0][0] : words[0][0] + words[words.length - 1][0];
  return letters.toUpperCase();
}

const HUES = [212, 262, 332, 12, 32, 152, 182, 292, 122, 232];
export function hueFor(text) {
  let h = 0;
  for (const ch of String(text)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return HUES[h % HUES.length];
}

/** A round avatar with initials; status 'online' | 'offline' | undefined adds a presence dot. */
export function avatar(name, { size = 'md', status, key } = {}) {
  const node = el(`span.avatar.avatar-${size}`, { 'aria-hidden': 'true' }, initials(name));
  node.style.setProperty('--hue', hueFor(key ?? name));
  if (status) node.append(el(`span.presence.presence-${status}`, { title: status }));
  return node;
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();

export function clockTime(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Short time for lists: "14:05", "Yesterday", "Mon", "12 Mar". */
export function shortTime(ts, now = Date.now()) {
  const d = new Date(ts);
  const today = new Date(now);
  if (sameDay(d, today)) return clockTime(ts);
  const yesterday = new Date(now - 86400000);
  if (sameDay(d, yesterday)) return 'Yesterday';
  if (now - ts < 6 * 86400000) return d.toLocaleDateString([], { weekday: 'short' });
  return d.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

/** Heading for a day separator: "Today", "Yesterday", "Monday 12 March". */
export function dayLabel(ts, now = Date.now()) {
  const d = new Date(ts);
  if (sameDay(d, new Date(now))) return 'Today';
  if (sameDay(d, new Date(now - 86400000))) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long' });
}

export function isSameDay(a, b) {
  return sameDay(new Date(a), new Date(b));
}

export function lastSeenText(info, now = Date.now()) {
  if (!info) return '';
  if (info.status === 'online') return 'Online';
  if (!info.last_seen) return 'Offline';
  const minutes = Math.round((now - info.last_seen) / 60000);
  if (minutes < 1) return 'Last seen just now';
  if (minutes < 60) return `Last seen ${minutes} min ago`;
  if (minutes < 24 * 60) return `Last seen at ${clockTime(info.last_seen)}`;
  return `Last seen ${shortTime(info.last_seen, now)}`;
}

/** "Bob", "Bob and Carol", "Bob, Carol and 2 others". */
export function nameList(names, max = 2) {
  if (names.length <= 1) return names.join('');
  if (names.length <= max + 1) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.slice(0, max).join(', ')} and ${names.length - max} others`;
}

export function icon(name) {
  const paths = {
    send: 'M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z',
    plus: 'M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z',
    back: 'M15.4 5.4 14 4l-8 8 8 8 1.4-1.4L8.8 12z',
    edit: 'M4 17.2V20h2.8l8.3-8.3-2.8-2.8zM19.7 7.3a1 1 0 0 0 0-1.4l-1.6-1.6a1 1 0 0 0-1.4 0l-1.3 1.3 2.8 2.8z',
    trash: 'M7 21q-.8 0-1.4-.6T5 19V6H4V4h5V3h6v1h5v2h-1v13q0 .8-.6 1.4T17 21zm2-4h2V8H9zm4 0h2V8h-2z',
    clock: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20m1 10.4 3.5 2.1-.8 1.3L11 13V7h2z',
    check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
    logout: 'M16 17v-3H9v-4h7V7l5 5zM14 2a2 2 0 0 1 2 2v2h-2V4H5v16h9v-2h2v2a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z',
    chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H7l-5 4V6a2 2 0 0 1 2-2',
  };
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', paths[name]);
  svg.append(path);
  return svg;
}
