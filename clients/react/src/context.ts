import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { Client } from '@parley/client';

const ParleyContext = createContext<Client | null>(null);

export interface ParleyProviderProps {
  /** A client from `connect()`. The provider does not own it: create it once (outside the
   *  render, or in a ref/state initialiser) and `close()` it yourself when the app is done. */
  client: Client;
  children?: ReactNode;
}

/** Makes `client` available to the hooks below it. */
export function ParleyProvider({ client, children }: ParleyProviderProps) {
  return createElement(ParleyContext.Provider, { value: client }, children);
}

/** The client of the nearest `ParleyProvider`; throws outside of one. */
export function useParleyClient(): Client {
  const client = useContext(ParleyContext);
  if (!client) throw new Error('Parley hooks must be used inside a <ParleyProvider client={…}>');
  return client;
}
