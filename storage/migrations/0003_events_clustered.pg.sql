-- Parley schema, version 3 (PostgreSQL): nothing changes. The SQLite store clusters its
-- log by (room_id, seq) in this version (0003_events_clustered.sqlite.sql); a PostgreSQL
-- table is a heap whatever its key, and its queries keep using events_msgs.
SELECT 1;
