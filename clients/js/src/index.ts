/**
 * @parley/client — the Parley chat broker's client SDK (browsers and Node 20+).
 * The public surface is documented in API.md; everything exported here is part of it.
 */
export { connect } from './client.js';
export type { Client } from './client.js';
export type { ConnectOptions, ConnectionState, StateChange, ClientEventMap, CreateRoomOptions } from './client.js';
export type { Room } from './room.js';
export type { RoomEventMap, SendOptions, GapEvent } from './room.js';
export type { OutboxEntry, SendAck } from './outbox.js';
export { devToken } from './http.js';
export { applyEvent } from './apply.js';
export { ParleyError, isRetryable } from './errors.js';
export type { ErrorCode, ServerErrorCode, ClientErrorCode } from './errors.js';
export { jsonCodec, msgpackCodec } from './codec.js';
export type { Codec, MsgpackModule } from './codec.js';
export { Backoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { decodeJwt } from './jwt.js';
export type { JwtClaims } from './jwt.js';
export type { WebSocketLike, WebSocketConstructorLike, FetchLike, FetchResponseLike, FetchInitLike } from './transport.js';
export type {
  Hello, MsgEvent, EditEvent, DeleteEvent, ReactEvent, MemberEvent, TypingEvent, ReadEvent, PresenceEvent,
  RoomUpdateEvent, RoomEvent, PersistentEvent, Reactions, RoomSummary, PresenceInfo, Ack, JoinResult, HistoryResult,
} from './types.js';
