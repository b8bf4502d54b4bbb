export { ParleyProvider, useParleyClient, type ParleyProviderProps } from './context.js';
export { useConnectionState } from './useConnectionState.js';
export { usePresence, type PresenceMap } from './usePresence.js';
export { useConversations, type Conversations, type ConversationsState } from './useConversations.js';
export { useRoom, type UseRoom } from './useRoom.js';
export type { ConfirmedMessage, PendingMessage, RoomMessage, RoomState, RoomActions } from './roomStore.js';
