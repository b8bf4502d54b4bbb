import type { MsgEvent, RoomEvent } from './types.js';

/**
 * Applies one room event to a message list sorted by `seq`, immutably: a new array (and a
 * new object for the changed message) when something changed, the same array otherwise.
 * UIs (the demo page, the React binding) keep their message state with it, so the rules
 * for edits, deletes and reactions live in one place.
 */
export function applyEvent(messages: MsgEvent[], event: RoomEvent): MsgEvent[] {
  switch (event.t) {
    case 'msg': {
      // Binary search for the insertion point: history pages and live events may interleave.
      let lo = 0;
      let hi = messages.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (messages[mid]!.seq < event.seq) lo = mid + 1;
        else hi = mid;
      }
      const out = messages.slice();
      if (lo < messages.length && messages[lo]!.seq === event.seq) out[lo] = event;
      else out.splice(lo, 0, event);
      return out;
    }
    case 'edit':
      return update(messages, event.target, (m) => ({ ...m, body: event.body, edited_ts: event.ts }));
    case 'delete':
      return update(messages, event.target, (m) => ({ ...m, body: '', deleted: true }));
    case 'react':
      return update(messages, event.target, (m) => {
        const reactions: Record<string, string[]> = { ...(m.reactions ?? {}) };
        const users = (reactions[event.emoji] ?? []).filter((u) => u !== event.from);
        if (event.on) users.push(event.from);
        if (users.length > 0) reactions[event.emoji] = users;
        else delete reactions[event.emoji];
        return { ...m, reactions };
      });
    default:
      return messages;
  }
}

function update(messages: MsgEvent[], seq: number, f: (m: MsgEvent) => MsgEvent): MsgEvent[] {
  const i = messages.findIndex((m) => m.seq === seq);
  if (i < 0) return messages;
  const out = messages.slice();
  out[i] = f(messages[i]!);
  return out;
}
