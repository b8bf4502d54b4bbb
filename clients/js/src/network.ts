/**
 * The browser's view of the network. A WebSocket whose network went away stays "open" until
 * TCP gives up (minutes), and the heartbeat needs up to two `heartbeat_ms` to notice; the
 * browser, though, fires `offline` on the window (or worker scope) at once. The client
 * listens for it to drop its connection, and for `online` to retry without waiting out the
 * back-off.
 *
 * Where `globalThis` is no event target (Node, React Native) this watches nothing.
 */

interface GlobalEventTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export interface NetworkHandlers {
  offline(): void;
  online(): void;
}

/** Starts listening; returns the function that stops, or undefined when there is nothing to watch. */
export function watchNetwork(handlers: NetworkHandlers): (() => void) | undefined {
  const g = globalThis as Partial<GlobalEventTarget>;
  const add = g.addEventListener;
  const remove = g.removeEventListener;
  if (typeof add !== 'function' || typeof remove !== 'function') return undefined;
  const offline = (): void => handlers.offline();
  const online = (): void => handlers.online();
  add.call(g, 'offline', offline);
  add.call(g, 'online', online);
  return () => {
    remove.call(g, 'offline', offline);
    remove.call(g, 'online', online);
  };
}
