#!/usr/bin/env node
// "socketio": a Socket.IO 4.8 chat server, as a peer for bench/compare.sh. No persistence.
// Default namespace, WebSocket transport only (the load generator connects to
// /socket.io/?EIO=4&transport=websocket&user=NAME), the user from the handshake query.
//
//   client emits "join" (room, ack)              -> socket.join(room); ack({ok: true})
//   client emits "send" ({room, cid, body}, ack) -> io.to(room).emit("msg", {room, from, body, seq});
//                                                   ack({seq})
//
//   node socketio-server.js [--port P] [--host H]      (or PORT / HOST; 0 picks a free port)
// Prints `listening on PORT` once it accepts.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

let port = Number(process.env.PORT || 8091);
let host = process.env.HOST || "127.0.0.1";
let backlog = Number(process.env.LISTEN_BACKLOG || 511);
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i];
  if (k === "--port") port = Number(process.argv[++i]);
  else if (k === "--host") host = process.argv[++i];
  else if (k === "--backlog") backlog = Number(process.argv[++i]);
  else {
    console.error(`socketio-server: unknown option ${k}`);
    process.exit(2);
  }
}

const server = http.createServer();
const io = new Server(server, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
});

let counter = 0;
io.on("connection", (socket) => {
  const from = String(socket.handshake.query.user || "anonymous");
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("send", (m, ack) => {
    const seq = ++counter;
    io.to(m.room).emit("msg", { room: m.room, from, body: m.body, seq });
    if (typeof ack === "function") ack({ seq });
  });
});

server.listen(port, host, backlog, () => {
  console.log(`listening on ${server.address().port}`);
});
const stop = () => {
  io.close();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
