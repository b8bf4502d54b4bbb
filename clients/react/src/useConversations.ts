import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react';
import type { Client, ParleyError, RoomSummary } from '@parley/client';
import { useParleyClient } from './context.js';

export interface ConversationsState {
  /** The user's rooms, most recent first, with `unread` counts and the `last` message. */
  rooms: readonly RoomSummary[];
  /** True until the first list has arrived (false once `error` is set). */
  loading: boolean;
  /** The last failure to fetch the list (cleared by the next success). */
  error: ParleyError | undefined;
}

export interface Conversations extends ConversationsState {
  /** Sum of `unread` over the list. */
  unreadTotal: number;
  /** Fetches the list again (the SDK also does after every reconnect). */
  refresh(): Promise<void>;
}

/**
 * The conversation list: `client.rooms()` once per client, then kept live by the SDK from the
 * broker's `room` events (new rooms, new messages, unread counts) and local `markRead`s.
 * `limit` (1-1000, default 50) applies to the first fetch of this client.
 */
export function useConversations(opts: { limit?: number } = {}): Conversations {
  const client = useParleyClient();
  const store = conversationsStore(client, opts.limit);
  const state = useSyncExternalStore(store.subscribe, store.get, store.get);
  useEffect(() => store.retain(), [store]);
  const refresh = useCallback(() => store.load(), [store]);
  return useMemo(
    () => ({ ...state, unreadTotal: state.rooms.reduce((n, r) => n + r.unread, 0), refresh }),
    [state, refresh],
  );
}

/** One per client: the list is the client's (the SDK tracks a single list), whoever renders it. */
class ConversationsStore {
  private state: ConversationsState;
  private readonly listeners = new Set<() => void>();
  private users = 0;
  private offs: Array<() => void> = [];
  private loaded = false;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly limit: number | undefined,
  ) {
    this.state = { rooms: client.roomList, loading: true, error: undefined };
  }

  readonly subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  readonly get = (): ConversationsState => this.state;

  /** Called by each mounted hook; the first one starts listening and fetching. */
  retain(): () => void {
    if (this.users++ === 0) {
      this.offs = [
        this.client.on('rooms', (rooms) => {
          this.loaded = true;
          this.set({ rooms, loading: false, error: undefined });
        }),
        // A fetch that failed while disconnected is retried when the connection is back.
        this.client.on('state', (e) => {
          if (e.state === 'open' && !this.loaded) void this.load();
        }),
      ];
      // The SDK kept tracking while no hook listened: catch up with its list.
      if (this.loaded) this.set({ ...this.state, rooms: this.client.roomList });
      else void this.load();
    }
    return () => {
      if (--this.users === 0) {
        for (const off of this.offs) off();
        this.offs = [];
      }
    };
  }

  load(): Promise<void> {
    this.loading ??= this.client
      .rooms(this.limit === undefined ? {} : { limit: this.limit })
      .then(
        () => {
          this.loaded = true;
          // The SDK's tracked list (what its `rooms` events carry from now on).
          this.set({ rooms: this.client.roomList, loading: false, error: undefined });
        },
        (error: ParleyError) => this.set({ ...this.state, loading: false, error }),
      )
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private set(next: ConversationsState): void {
    this.state = next;
    for (const fn of [...this.listeners]) fn();
  }
}

const stores = new WeakMap<Client, ConversationsStore>();

function conversationsStore(client: Client, limit: number | undefined): ConversationsStore {
  let s = stores.get(client);
  if (!s) stores.set(client, (s = new ConversationsStore(client, limit)));
  return s;
}
