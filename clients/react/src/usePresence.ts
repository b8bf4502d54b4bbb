import { useEffect, useMemo, useState } from 'react';
import type { Client, PresenceInfo } from '@parley/client';
import { useParleyClient } from './context.js';

export type PresenceMap = Readonly<Record<string, PresenceInfo>>;

/**
 * Presence of `userIds` (online/offline, last_seen), live. Subscribes once per distinct set
 * of ids (a new array with the same ids does not resubscribe); the SDK renews the
 * subscription after reconnects. Users whose presence is not known yet are absent from the
 * map. The broker takes at most 500 ids per subscription.
 */
export function usePresence(userIds: readonly string[]): PresenceMap {
  const client = useParleyClient();
  // A stable key for the set: callers usually pass a fresh array on every render.
  const key = useMemo(() => JSON.stringify([...new Set(userIds)].sort()), [userIds]);
  const [map, setMap] = useState<PresenceMap>(() => known(client, JSON.parse(key) as string[]));

  useEffect(() => {
    const ids = JSON.parse(key) as string[];
    const wanted = new Set(ids);
    let live = true;
    // The SDK's `presence(user)` is the source of truth; re-read it whenever it may have moved.
    const refresh = () => {
      if (live) setMap((prev) => (same(prev, known(client, ids)) ? prev : known(client, ids)));
    };
    const off = client.on('presence', (e) => {
      if (wanted.has(e.user)) refresh();
    });
    refresh();
    if (ids.length > 0) {
      client.subscribePresence(ids).then(refresh, () => {
        // Not fatal: the SDK subscribes again after the next reconnect, and events follow.
      });
    }
    return () => {
      live = false;
      off();
    };
  }, [client, key]);

  return map;
}

function known(client: Client, ids: readonly string[]): PresenceMap {
  const out: Record<string, PresenceInfo> = {};
  for (const id of ids) {
    const p = client.presence(id);
    if (p) out[id] = { user: p.user, status: p.status, last_seen: p.last_seen };
  }
  return out;
}

function same(a: PresenceMap, b: PresenceMap): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => b[k] && a[k]!.status === b[k]!.status && a[k]!.last_seen === b[k]!.last_seen);
}
