#!/usr/bin/env node
// "wspeer": a chat server on the Node `ws` package, written the way typical planning
// documents describe one, as a peer for bench/compare.sh. Deliberately naive: one process,
// rooms as Sets of sockets, and for every message
//   1. (persistent variant) one INSERT into PostgreSQL, awaited, one transaction each,
//   2. an `ok` to the sender,
//   3. a loop over every socket of the room calling ws.send (no batching, no backpressure).
//
// Wire protocol (a subset of Parley's, one JSON object per text frame):
//   server on connect:   {"t":"hello"}
//   client:              {"t":"join","room":R,"id":N}            -> {"t":"ok","id":N}
//   client:              {"t":"send","room":R,"cid":C,"body":B,"id":N}
//                          -> {"t":"ok","id":N,"seq":S} to the sender, then
//                             {"t":"msg","room":R,"from":U,"body":B,"seq":S} to the room
//   errors:              {"t":"error","id":N,"code":...,"message":...}
// The user is the `user` query parameter of the upgrade request (no authentication).
//
//   node ws-server.js [--port P] [--host H] [--db URL | --no-db] [--pool N] [--broadcast room|all]
//
// Environment: PORT, HOST, DATABASE_URL, WSPEER_NO_DB=1, PG_POOL_MAX (default: pg's own 10),
// WSPEER_BROADCAST. Port 0 picks a free one. Prints `listening on PORT` once it accepts.
"use strict";
const http = require("http");
const { WebSocketServer, WebSocket } = require("ws");

function parseArgs(argv) {
  const o = {
    port: Number(process.env.PORT || 8090),
    host: process.env.HOST || "127.0.0.1",
    db: process.env.DATABASE_URL || "",
    noDb: process.env.WSPEER_NO_DB === "1",
    pool: process.env.PG_POOL_MAX ? Number(process.env.PG_POOL_MAX) : undefined,
    broadcast: process.env.WSPEER_BROADCAST || "room",
    backlog: Number(process.env.LISTEN_BACKLOG || 511),
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === "--port") o.port = Number(v());
    else if (k === "--host") o.host = v();
    else if (k === "--db") o.db = v();
    else if (k === "--no-db") o.noDb = true;
    else if (k === "--pool") o.pool = Number(v());
    else if (k === "--broadcast") o.broadcast = v();
    else if (k === "--backlog") o.backlog = Number(v());
    else {
      console.error(`ws-server: unknown option ${k}`);
      process.exit(2);
    }
  }
  if (!o.noDb && !o.db) {
    console.error("ws-server: --db URL (or DATABASE_URL) or --no-db");
    process.exit(2);
  }
  return o;
}

async function main() {
  const opt = parseArgs(process.argv);
  let pool = null;
  if (!opt.noDb) {
    const { Pool } = require("pg");
    pool = new Pool({ connectionString: opt.db, ...(opt.pool ? { max: opt.pool } : {}) });
    pool.on("error", (e) => console.error("ws-server: pool:", e.message));
    await pool.query(`CREATE TABLE IF NOT EXISTS messages (
      id bigserial PRIMARY KEY,
      room text NOT NULL,
      sender text NOT NULL,
      cid text,
      body text NOT NULL,
      ts timestamptz NOT NULL)`);
    await pool.query("CREATE INDEX IF NOT EXISTS messages_room_id ON messages (room, id)");
  }

  const rooms = new Map(); // room -> Set<WebSocket>
  let counter = 0;         // seq without a database

  const server = http.createServer((req, res) => {
    res.writeHead(426, { "content-type": "text/plain" });
    res.end("WebSocket only\n");
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: true });

  wss.on("connection", (ws, req) => {
    const user = new URL(req.url, "http://x").searchParams.get("user") || "anonymous";
    ws.user = user;
    ws.rooms = new Set();
    ws.on("error", () => {});
    ws.on("close", () => {
      for (const r of ws.rooms) {
        const set = rooms.get(r);
        if (set) {
          set.delete(ws);
          if (set.size === 0) rooms.delete(r);
        }
      }
    });
    ws.on("message", async (data, isBinary) => {
      let m;
      try {
        m = JSON.parse(isBinary ? data.toString("utf8") : data);
      } catch {
        ws.send(JSON.stringify({ t: "error", code: "bad_request", message: "not JSON" }));
        return;
      }
      if (m.t === "join") {
        let set = rooms.get(m.room);
        if (!set) rooms.set(m.room, (set = new Set()));
        set.add(ws);
        ws.rooms.add(m.room);
        ws.send(JSON.stringify({ t: "ok", id: m.id }));
      } else if (m.t === "send") {
        let seq;
        if (pool) {
          try {
            const r = await pool.query(
              "INSERT INTO messages(room, sender, cid, body, ts) VALUES ($1,$2,$3,$4,$5) RETURNING id",
              [m.room, user, m.cid, m.body, new Date()]);
            seq = Number(r.rows[0].id);
          } catch (e) {
            ws.send(JSON.stringify({ t: "error", id: m.id, code: "internal", message: e.message }));
            return;
          }
        } else {
          seq = ++counter;
        }
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: "ok", id: m.id, seq }));
        const out = JSON.stringify({ t: "msg", room: m.room, from: user, body: m.body, seq });
        if (opt.broadcast === "all") {
          // The planning-document loop taken literally: every client, filtered by room.
          for (const c of wss.clients)
            if (c.rooms.has(m.room) && c.readyState === WebSocket.OPEN) c.send(out);
        } else {
          const set = rooms.get(m.room);
          if (set) for (const c of set) if (c.readyState === WebSocket.OPEN) c.send(out);
        }
      } else {
        ws.send(JSON.stringify({ t: "error", id: m.id, code: "bad_request", message: "unknown t" }));
      }
    });
    ws.send(JSON.stringify({ t: "hello" }));
  });

  server.listen(opt.port, opt.host, opt.backlog, () => {
    console.log(`listening on ${server.address().port}`);
  });
  const stop = () => {
    for (const c of wss.clients) c.terminate();
    server.close();
    if (pool) pool.end().catch(() => {});
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  console.error("ws-server:", e.message);
  process.exit(1);
});
