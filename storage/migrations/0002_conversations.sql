-- Parley schema, version 2: conversation lists (store::rooms_of). Written in the SQL that
-- SQLite and PostgreSQL both accept, like 0001.

-- The ts of the room's latest event, kept by every write() that adds events; 0 for a room
-- without events (rooms_of then shows its created_at).
ALTER TABLE rooms ADD COLUMN last_ts BIGINT NOT NULL DEFAULT 0;

-- The messages of a room: the latest one of each room (rooms_of), the count of unread ones
-- and the message pages of history, without reading the edits, reactions and member events
-- between them. kind and sender are in it so that SQLite counts unread messages from the
-- index alone. The condition is repeated verbatim in those queries: both planners use a
-- partial index only when the query's WHERE clause implies it.
CREATE INDEX events_msgs ON events (room_id, seq, sender, kind) WHERE kind = 'msg';

-- The events that target a message (edits, deletes, reactions, replies): history folds a
-- page of old messages from these instead of scanning the log from the page to the head.
CREATE INDEX events_by_target ON events (room_id, target) WHERE target <> 0;

-- Rooms that have events: the ts of the latest one (the last row of the room in the primary
-- key, not a scan of all its events); rooms without events keep 0.
UPDATE rooms SET last_ts = COALESCE(
  (SELECT e.ts FROM events e WHERE e.room_id = rooms.id ORDER BY e.seq DESC LIMIT 1), 0);
