// A WebSocket the page can give up on. When the network goes away, a browser keeps its
// WebSocket "open" until TCP notices (minutes), and a close() cannot complete its handshake
// either; the SDK would keep writing into a dead connection. When the browser reports that it
// is offline, every socket made here is abandoned at once: it reports a close (1006) to its
// owner, the SDK starts reconnecting, and messages typed meanwhile wait in its outbox.
// It has exactly the surface the SDK uses (WebSocketLike in clients/js/API.md).

const live = new Set();

export class DroppableWebSocket {
  constructor(url, protocols) {
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    this.dropped = false;
    const ws = new WebSocket(url, protocols);
    this.ws = ws;
    ws.onopen = (e) => this.onopen?.(e);
    ws.onmessage = (e) => this.onmessage?.(e);
    ws.onerror = (e) => this.onerror?.(e);
    ws.onclose = (e) => { live.delete(this); this.onclose?.(e); };
    live.add(this);
  }

  get readyState() { return this.dropped ? 3 : this.ws.readyState; }
  get protocol() { return this.ws.protocol; }
  get binaryType() { return this.ws.binaryType; }
  set binaryType(value) { this.ws.binaryType = value; }
  get bufferedAmount() { return this.ws.bufferedAmount; }

  send(data) {
    if (this.dropped) throw new Error('WebSocket dropped');
    this.ws.send(data);
  }

  close(code, reason) {
    if (!this.dropped) this.ws.close(code, reason);
  }

  /** Forgets the connection: no further events from it, a close (1006) for the owner. */
  drop(reason) {
    if (this.dropped) return;
    this.dropped = true;
    live.delete(this);
    const { ws } = this;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    try { ws.close(4000, reason); } catch { /* already closing */ }
    this.onclose?.({ code: 1006, reason, wasClean: false });
  }
}

export function dropAll(reason) {
  for (const socket of [...live]) socket.drop(reason);
}
