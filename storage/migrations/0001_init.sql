-- Parley schema, version 1. Written in the SQL that SQLite and PostgreSQL both accept.

CREATE TABLE users (
  id        TEXT PRIMARY KEY,
  name      TEXT NOT NULL DEFAULT '',
  last_seen BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE rooms (
  id         TEXT PRIMARY KEY,
  title      TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  head_seq   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE members (
  room_id   TEXT NOT NULL REFERENCES rooms(id),
  user_id   TEXT NOT NULL,
  role      TEXT NOT NULL DEFAULT 'member',
  read_seq  BIGINT NOT NULL DEFAULT 0,
  joined_at BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_id)
);

CREATE INDEX members_by_user ON members (user_id);

-- The event log. (room_id, seq) is the order and the fence between two writers that both
-- believe they own a room; (room_id, sender, cid) makes `send` idempotent. cid is NULL for
-- every kind but msg, and NULLs never collide.
CREATE TABLE events (
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
);

CREATE UNIQUE INDEX events_cid ON events (room_id, sender, cid);
