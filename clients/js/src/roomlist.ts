import type { RoomSummary, RoomUpdateEvent } from './types.js';

/**
 * The conversation list the client tracks once `rooms()` was called: the last `rooms`
 * answer, kept current by live `room` events (which the broker sends for every room of
 * the user, joined or not) and by the user's own read markers (which trigger no `room`
 * event on the broker's side).
 *
 * Every change produces a new array with new row objects, so UI frameworks that compare
 * by reference (React) re-render exactly when something changed.
 */
export class RoomList {
  tracking = false;
  /** The `limit` of the last `rooms()` call, reused for refetches. */
  limit: number | undefined;
  private rows: RoomSummary[] = [];

  constructor(
    private readonly emit: (rows: RoomSummary[]) => void,
    /** Asks the client to refetch the whole list (a room appeared that we know nothing of). */
    private readonly refetch: () => void,
  ) {}

  get list(): readonly RoomSummary[] {
    return this.rows;
  }

  set(rows: RoomSummary[]): void {
    this.tracking = true;
    this.rows = rows.map((r) => ({ ...r }));
    this.emit(this.rows);
  }

  /** A live `room` event: the row moves to the top (most recent first). */
  update(ev: RoomUpdateEvent): void {
    if (!this.tracking) return;
    const i = this.rows.findIndex((r) => r.room === ev.room);
    const rows = this.rows.slice();
    if (i < 0) {
      // A new conversation (created by someone else, or an invite): show it at once, and
      // refetch for the fields a `room` event does not carry (title, read marker).
      rows.unshift({ room: ev.room, head: ev.head, unread: ev.unread, last: ev.last });
      this.refetch();
    } else {
      const [row] = rows.splice(i, 1);
      rows.unshift({ ...row!, head: ev.head, unread: ev.unread, last: ev.last });
    }
    this.rows = rows;
    this.emit(this.rows);
  }

  /**
   * The user's read marker moved to `seq` (here or on another of its connections). The
   * unread count is exact only when the marker reaches the head (0); in between, the next
   * refetch or `room` event brings the broker's count.
   */
  read(room: string, seq: number): void {
    if (!this.tracking) return;
    const i = this.rows.findIndex((r) => r.room === room);
    if (i < 0) return;
    const row = this.rows[i]!;
    if (row.read !== undefined && row.read >= seq) return;
    const rows = this.rows.slice();
    rows[i] = { ...row, read: seq, unread: seq >= row.head ? 0 : row.unread };
    this.rows = rows;
    this.emit(this.rows);
  }
}
