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
  /**
   * The user's own read markers known here (markRead, own `read` events), by room. The
   * broker's `room` events are coalesced (up to a second late) and a refetch can answer
   * before a `read` request was stored: neither may bring back a count that these cleared.
   */
  private readonly marks = new Map<string, number>();
  /**
   * The latest `room` event of each room, numbered in arrival order: a `rooms` answer was
   * read from the database when its request went out, so an event that arrived meanwhile
   * may be newer than the answer's row, and a room it names may be missing from it.
   */
  private readonly live = new Map<string, { n: number; ev: RoomUpdateEvent }>();
  private events = 0;

  constructor(
    private readonly emit: (rows: RoomSummary[]) => void,
    /** Asks the client to refetch the whole list (a room appeared that we know nothing of). */
    private readonly refetch: () => void,
  ) {}

  get list(): readonly RoomSummary[] {
    return this.rows;
  }

  /** Call when a `rooms` request goes out; pass the result to `set` with its answer. */
  mark(): number {
    return this.events;
  }

  /**
   * A `rooms` answer to a request that went out at `since` (from `mark`). Rooms whose
   * `room` events arrived after that keep what the events said when it is newer (a higher
   * head) and stay listed if the answer lacks them: without this, a refetch answered
   * before a message was stored overwrote the event that brought the message, and the
   * list showed the room without it until the next message. Returns true when the answer
   * lacked such a room: its title and marker need another refetch.
   */
  set(rows: RoomSummary[], since = this.events): boolean {
    this.tracking = true;
    const newer = [...this.live.values()].filter((l) => l.n > since).sort((a, b) => b.n - a.n);
    const answered = new Map(rows.map((r) => [r.room, r]));
    const top: RoomSummary[] = [];
    let lacking = false;
    for (const { ev } of newer) {
      const row = answered.get(ev.room);
      if (row && row.head >= ev.head) continue; // the answer is as new: keep it in place
      lacking ||= !row;
      answered.delete(ev.room);
      top.push({ ...(row ?? {}), room: ev.room, head: ev.head, unread: ev.unread, last: ev.last });
    }
    const rest = rows.filter((r) => answered.has(r.room)).map((r) => ({ ...r }));
    this.rows = [...top, ...rest].map((r) => this.withMarker(r));
    this.emit(this.rows);
    return lacking;
  }

  /** A live `room` event: the row moves to the top (most recent first). */
  update(ev: RoomUpdateEvent): void {
    this.live.set(ev.room, { n: ++this.events, ev });
    if (!this.tracking) return;
    const i = this.rows.findIndex((r) => r.room === ev.room);
    const rows = this.rows.slice();
    if (i < 0) {
      // A new conversation (created by someone else, or an invite): show it at once, and
      // refetch for the fields a `room` event does not carry (title, read marker).
      rows.unshift(this.withMarker({ room: ev.room, head: ev.head, unread: ev.unread, last: ev.last }));
      this.refetch();
    } else {
      const [row] = rows.splice(i, 1);
      rows.unshift(this.withMarker({ ...row!, head: ev.head, unread: ev.unread, last: ev.last }));
    }
    this.rows = rows;
    this.emit(this.rows);
  }

  /**
   * The user's read marker moved to `seq` (here or on another of its connections). The
   * unread count is exact only when the marker reaches the head (0); in between it is
   * capped at `head − read`, and the next refetch or `room` event brings the broker's count.
   */
  read(room: string, seq: number): void {
    if ((this.marks.get(room) ?? 0) < seq) this.marks.set(room, seq);
    if (!this.tracking) return;
    const i = this.rows.findIndex((r) => r.room === room);
    if (i < 0) return;
    const row = this.rows[i]!;
    if (row.read !== undefined && row.read >= seq) return;
    const rows = this.rows.slice();
    rows[i] = this.withMarker({ ...row });
    this.rows = rows;
    this.emit(this.rows);
  }

  /**
   * Makes a (new) row agree with the local read marker: `read` is at least the marker, and
   * `unread` is 0 when `read` reaches `head` and never more than `head − read` otherwise
   * (every unread message has its own seq in between), whatever a late count said.
   */
  private withMarker(row: RoomSummary): RoomSummary {
    const mark = this.marks.get(row.room);
    if (mark !== undefined && (row.read === undefined || row.read < mark)) row.read = mark;
    if (row.read !== undefined) row.unread = Math.max(0, Math.min(row.unread, row.head - row.read));
    return row;
  }
}
