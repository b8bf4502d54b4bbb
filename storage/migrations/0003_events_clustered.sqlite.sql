-- Parley schema, version 3 (SQLite): the log clustered by (room_id, seq), and no events_msgs.
--
-- Why: every message went into four B-trees (the rowid table, the primary key's index,
-- events_cid and events_msgs), and in a group commit over many rooms each room's entry
-- dirties a page of each of them. A WITHOUT ROWID table is its primary key's B-tree, so
-- the rowid table goes; and a room's messages are then read in seq order from the table
-- itself, which leaves events_msgs nothing to do that the table does not. The writer's CPU
-- per message fell by a fifth (fan-out over 200 rooms, docs/benchmarks.md).
--
-- Upgrading copies the log once, in the migration's transaction: it takes time and disk
-- in proportion to the history (docs/operations.md, "Upgrading").
CREATE TABLE events_v3 (
  room_id TEXT NOT NULL,
  seq     BIGINT NOT NULL,
  kind    TEXT NOT NULL,
  sender  TEXT NOT NULL,
  cid     TEXT,
  body    TEXT NOT NULL DEFAULT '',
  subtype TEXT NOT NULL DEFAULT '',
  target  BIGINT NOT NULL DEFAULT 0,
  meta    TEXT NOT NULL DEFAULT '',
  ts      BIGINT NOT NULL,
  PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;

INSERT INTO events_v3 (room_id, seq, kind, sender, cid, body, subtype, target, meta, ts)
  SELECT room_id, seq, kind, sender, cid, body, subtype, target, meta, ts FROM events;

-- Drops its indexes with it: events_cid, events_msgs and events_by_target.
DROP TABLE events;

ALTER TABLE events_v3 RENAME TO events;

CREATE UNIQUE INDEX events_cid ON events (room_id, sender, cid);

CREATE INDEX events_by_target ON events (room_id, target) WHERE target <> 0;
