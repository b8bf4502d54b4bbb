import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { Room } from '@parley/client';
import { useParleyClient } from './context.js';
import { roomStore, type RoomActions, type RoomState } from './roomStore.js';

export interface UseRoom extends RoomState, RoomActions {
  /** The SDK's handle, for anything the hook does not cover (history paging, invite, events). */
  room: Room;
}

/**
 * One room, live: loads the latest messages, joins, and follows every event from then on
 * (messages, edits, deletions, reactions, typing, read markers), including this user's
 * pending sends. Every `useRoom` of the same room and client shares one subscription; the
 * room is left when the last one unmounts. The action functions are stable across renders.
 */
export function useRoom(roomId: string): UseRoom {
  const client = useParleyClient();
  const store = useMemo(() => roomStore(client, roomId), [client, roomId]);
  const state = useSyncExternalStore(store.subscribe, store.get, store.get);
  useEffect(() => store.retain(), [store]);
  return useMemo(() => ({ ...state, ...store.actions, room: store.room }), [state, store]);
}
