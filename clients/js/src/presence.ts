import type { Frame, PresenceEvent, PresenceInfo } from './types.js';

/** The broker takes at most 500 users per `presence` request. */
const CHUNK = 500;

/**
 * Presence subscriptions and the last known status of each user. Subscriptions live on a
 * connection, so after every reconnect they are renewed, and users whose status changed
 * while the client was away get a `presence` event (else the app would show stale dots).
 */
export class PresenceBook {
  private readonly subscribed = new Set<string>();
  private readonly known = new Map<string, PresenceInfo>();

  constructor(private readonly emit: (e: PresenceEvent) => void) {}

  get(user: string): PresenceInfo | undefined {
    const p = this.known.get(user);
    return p ? { ...p } : undefined;
  }

  async subscribe(users: string[], request: (chunk: string[]) => Promise<Frame>): Promise<PresenceInfo[]> {
    const fresh = [...new Set(users)];
    for (const u of fresh) this.subscribed.add(u);
    const out: PresenceInfo[] = [];
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const ok = await request(fresh.slice(i, i + CHUNK));
      for (const p of list(ok)) {
        this.store(p, false);
        out.push({ ...p });
      }
    }
    return out;
  }

  /** After a reconnect: subscribe again, reporting the changes missed meanwhile. */
  async resubscribe(request: (chunk: string[]) => Promise<Frame>): Promise<void> {
    const all = [...this.subscribed];
    for (let i = 0; i < all.length; i += CHUNK) {
      const ok = await request(all.slice(i, i + CHUNK));
      for (const p of list(ok)) this.store(p, true);
    }
  }

  event(e: PresenceEvent): void {
    this.store(e, false);
    this.emit(e);
  }

  private store(p: PresenceInfo, announceChange: boolean): void {
    const before = this.known.get(p.user);
    this.known.set(p.user, { user: p.user, status: p.status, last_seen: p.last_seen });
    if (announceChange && before && before.status !== p.status) {
      this.emit({ t: 'presence', user: p.user, status: p.status, last_seen: p.last_seen });
    }
  }
}

function list(ok: Frame): PresenceInfo[] {
  return Array.isArray(ok.presence) ? (ok.presence as PresenceInfo[]) : [];
}
