import { useCallback, useSyncExternalStore } from 'react';
import type { ConnectionState } from '@parley/client';
import { useParleyClient } from './context.js';

/** The client's connection state: 'connecting' | 'open' | 'reconnecting' | 'closed'. */
export function useConnectionState(): ConnectionState {
  const client = useParleyClient();
  const subscribe = useCallback((onChange: () => void) => client.on('state', onChange), [client]);
  const get = () => client.state;
  return useSyncExternalStore(subscribe, get, get);
}
