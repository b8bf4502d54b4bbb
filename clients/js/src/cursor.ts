import type { PersistentEvent } from './types.js';

/**
 * A room's resume cursor: the last processed `seq`, duplicate dropping, and the buffering
 * that keeps events in order while a resume gap is filled from history.
 *
 * Kept apart from the room handle (no I/O here) so the exactly-once rules can be unit
 * tested on their own:
 * - an event with `seq <= lastSeq` was processed already (a replay overlapping live
 *   delivery, a reconnect racing an ack) and is dropped;
 * - while a gap is filled (`join` answered `gap:true`), live events are held back and
 *   released after the history pages, so the app still sees ascending `seq`.
 */
export class SeqCursor {
  /** Last persistent seq processed; 0 before anything. */
  lastSeq = 0;
  /** False until the first join (or an explicit `since`) placed the cursor. */
  placed = false;
  private filling = false;
  private held: PersistentEvent[] = [];

  /** Sets the cursor explicitly (`join({since})`). */
  place(seq: number): void {
    this.lastSeq = Math.max(0, seq);
    this.placed = true;
  }

  /** The `since` for a join: the cursor once placed, none (start at the head) before. */
  since(): number | undefined {
    return this.placed ? this.lastSeq : undefined;
  }

  /**
   * A join's `ok` arrived. Without a placed cursor the subscription starts at the head.
   * With `gap`, live events are held until `endFill`.
   */
  joined(head: number, gap: boolean): void {
    if (!this.placed) {
      this.lastSeq = Math.max(this.lastSeq, head);
      this.placed = true;
    }
    if (gap) {
      this.filling = true;
      this.held = [];
    }
  }

  get isFilling(): boolean {
    return this.filling;
  }

  /** A live or replayed event: the events to deliver now (itself, or none). */
  offer(ev: PersistentEvent): PersistentEvent[] {
    if (this.filling) {
      this.held.push(ev);
      return [];
    }
    return this.accept(ev.seq) ? [ev] : [];
  }

  /** A message from a gap-filling history page: deliver it? (only up to the join head). */
  offerHistory(seq: number, head: number): boolean {
    if (seq > head) return false; // newer ones arrive live (held), in full detail
    return this.accept(seq);
  }

  /**
   * The gap up to `head` is filled: events between the history messages (edits, reactions,
   * members) are covered by the messages' current state, so the cursor moves to `head`.
   * Returns the held live events still to deliver, in order.
   */
  endFill(head: number): PersistentEvent[] {
    this.lastSeq = Math.max(this.lastSeq, head);
    this.filling = false;
    const held = this.held.sort((a, b) => a.seq - b.seq);
    this.held = [];
    return held.filter((ev) => this.accept(ev.seq));
  }

  /** The connection is gone: whatever was held comes again in the next join's replay. */
  disconnected(): void {
    this.filling = false;
    this.held = [];
  }

  private accept(seq: number): boolean {
    if (seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    return true;
  }
}
