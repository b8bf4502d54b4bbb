/**
 * Wire objects of the Parley protocol (docs/protocol.md §2-§4), as the server sends them.
 * The SDK hands events to callers as these objects, field names unchanged, so the protocol
 * document is also the reference for what a callback receives.
 */

/** Reply to the first `auth`. */
export interface Hello {
  t: 'hello';
  session: string;
  user: string;
  node: string;
  heartbeat_ms: number;
  limits: {
    frame: number;
    body: number;
    rooms: number;
    rate: { per_s: number; burst: number };
  };
  server_time: number;
}

/** Reactions of a message in its current state: emoji → users. */
export type Reactions = Record<string, string[]>;

export interface MsgEvent {
  t: 'msg';
  room: string;
  seq: number;
  from: string;
  body: string;
  kind: string;
  ts: number;
  cid: string;
  reply_to?: number;
  meta?: Record<string, unknown>;
  /** Present on messages from `history` (current state). */
  edited_ts?: number;
  deleted?: boolean;
  reactions?: Reactions;
  /**
   * SDK addition: true when the message was fetched with `history` to fill a resume gap
   * (`join` answered `gap: true`), i.e. it is shown in its current state and the `edit`,
   * `delete` and `react` events that led there were not delivered one by one.
   */
  fromHistory?: boolean;
}

export interface EditEvent {
  t: 'edit';
  room: string;
  seq: number;
  target: number;
  body: string;
  from: string;
  ts: number;
}

export interface DeleteEvent {
  t: 'delete';
  room: string;
  seq: number;
  target: number;
  from: string;
  ts: number;
}

export interface ReactEvent {
  t: 'react';
  room: string;
  seq: number;
  target: number;
  emoji: string;
  on: boolean;
  from: string;
  ts: number;
}

export interface MemberEvent {
  t: 'member';
  room: string;
  seq: number;
  user: string;
  action: 'added' | 'removed';
  from: string;
  ts: number;
}

export interface TypingEvent {
  t: 'typing';
  room: string;
  user: string;
  on: boolean;
  /** SDK addition: true when the SDK ended the indicator itself (no repeat within 6 s). */
  lapsed?: boolean;
}

export interface ReadEvent {
  t: 'read';
  room: string;
  user: string;
  seq: number;
}

export interface PresenceEvent {
  t: 'presence';
  user: string;
  status: 'online' | 'offline';
  last_seen: number;
}

export interface RoomUpdateEvent {
  t: 'room';
  room: string;
  head: number;
  unread: number;
  last: MsgEvent | null;
}

/** Events that carry a `seq` and live in a room's log. */
export type PersistentEvent = MsgEvent | EditEvent | DeleteEvent | ReactEvent | MemberEvent;
/** Everything a room handle delivers. */
export type RoomEvent = PersistentEvent | TypingEvent | ReadEvent;

export const PERSISTENT_KINDS: ReadonlySet<string> = new Set(['msg', 'edit', 'delete', 'react', 'member']);

/** One entry of the `rooms` reply (a conversation list row). */
export interface RoomSummary {
  room: string;
  title?: string;
  head: number;
  read?: number;
  unread: number;
  last: MsgEvent | null;
}

export interface PresenceInfo {
  user: string;
  status: 'online' | 'offline';
  last_seen: number;
}

/** The `ok` of `send`, and of edit/delete/react/invite/remove (which carry the new event's seq). */
export interface Ack {
  room: string;
  seq: number;
  ts: number;
}

/** The `ok` of `join`. */
export interface JoinResult {
  room: string;
  head: number;
  reads?: Record<string, number>;
  replayed: number;
  gap: boolean;
}

export interface HistoryResult {
  messages: MsgEvent[];
  more: boolean;
}

/** Any frame, as decoded. */
export type Frame = Record<string, unknown> & { t?: unknown; id?: unknown };
