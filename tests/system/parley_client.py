"""Protocol clients for the Parley system tests.

- `Client`: a synchronous client over websocket-client (Debian python3-websocket 1.2.3),
  JSON or MessagePack, with request/reply matching, event buffering and bounded waits.
- `RawWS`: a hand-written WebSocket client (handshake + masked frames) for what
  websocket-client cannot do: oversized or arbitrary frames, never answering pings,
  reading the server's close code exactly, looking at refused upgrades.
"""

import base64
import collections
import hashlib
import itertools
import json
import os
import socket
import struct
import time
import uuid
from urllib.parse import quote

import msgpack
import websocket
from websocket import ABNF

from parley_harness import HOST, scaled

WAIT = scaled(5.0)  # default bound for an expected event/reply
QUIET = 0.3  # default window to prove that nothing arrives (not scaled)

SUBPROTOCOL = {"json": "parley.v1.json", "msgpack": "parley.v1.msgpack"}
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class ConnectionClosed(Exception):
    """The server closed the connection (code None: no close frame / TCP dropped)."""

    def __init__(self, code, reason=""):
        super().__init__("connection closed (code %s) %s" % (code, reason))
        self.code = code
        self.reason = reason


def new_cid():
    return uuid.uuid4().hex


def _close_code(payload):
    if len(payload) >= 2:
        return struct.unpack("!H", payload[:2])[0], payload[2:].decode("utf-8", "replace")
    return None, ""


def _short(msg, limit=300):
    s = repr(msg)
    return s if len(s) <= limit else s[:limit] + "..."


def matches(msg, t=None, **fields):
    if t is not None and msg.get("t") != t:
        return False
    for k, v in fields.items():
        if k not in msg or msg[k] != v:
            return False
    return True


class Client:
    """One authenticated (or not yet) Parley connection.

    Every message that is not the reply being waited for is kept, in arrival order, in
    `self.buffer`; `next_event` / `take` consume from it.
    """

    _open = []  # every client not yet closed, so the test fixture can close leftovers

    def __init__(self, ws, encoding, label):
        self.ws = ws
        self.encoding = encoding  # "json" or "msgpack"
        self.label = label
        self.buffer = collections.deque()
        self.pre_reply = []  # messages received while waiting for the last reply
        self.hello = None
        self.pings = 0
        self.close_code = None
        self.close_reason = ""
        self.closed = False
        self._ids = itertools.count(1)
        Client._open.append(self)

    # -- connecting
    @classmethod
    def connect(cls, broker_or_url, *, token=None, auth="header", proto="json",
                subprotocols=None, expect_hello=True, timeout=None, label=None, header=None):
        """Open a connection.

        auth: "header" (Authorization: Bearer), "query" (?token=), "frame" (first frame
        {"t":"auth"}), or None (connect only). proto: "json", "msgpack" or None (no
        subprotocol offered: JSON expected).
        """
        timeout = timeout or WAIT
        url = broker_or_url if isinstance(broker_or_url, str) else broker_or_url.ws_url
        headers = list(header or [])
        if token is not None and auth == "header":
            headers.append("Authorization: Bearer %s" % token)
        if token is not None and auth == "query":
            url += ("&" if "?" in url else "?") + "token=" + quote(token, safe="")
        if subprotocols is None and proto is not None:
            subprotocols = [SUBPROTOCOL[proto]]
        kwargs = {"timeout": timeout, "header": headers}
        if subprotocols:
            kwargs["subprotocols"] = subprotocols
        ws = websocket.create_connection(url, **kwargs)
        chosen = ws.getsubprotocol()
        if proto is None:
            assert not chosen, "no subprotocol offered but the server chose %r" % chosen
            encoding = "json"
        else:
            assert chosen == SUBPROTOCOL[proto], \
                "expected the 101 to echo %r, got %r" % (SUBPROTOCOL[proto], chosen)
            encoding = proto
        c = cls(ws, encoding, label or (encoding + ":" + str(token)[:12]))
        if token is not None and auth == "frame":
            c.send({"t": "auth", "token": token})
        if token is not None and expect_hello:
            c.hello = c.expect_hello(timeout)
        return c

    def expect_hello(self, timeout=None):
        msg = self.recv(timeout or WAIT)
        assert msg.get("t") == "hello", "first message after auth must be hello, got %s" % _short(msg)
        self.hello = msg
        return msg

    # -- sending
    def encode(self, obj):
        if self.encoding == "msgpack":
            return msgpack.packb(obj, use_bin_type=True)
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

    def send(self, obj):
        data = self.encode(obj)
        if self.encoding == "msgpack":
            self.ws.send(data, opcode=ABNF.OPCODE_BINARY)
        else:
            self.ws.send(data, opcode=ABNF.OPCODE_TEXT)

    def send_text(self, text):
        self.ws.send(text, opcode=ABNF.OPCODE_TEXT)

    def send_binary(self, data):
        self.ws.send(data, opcode=ABNF.OPCODE_BINARY)

    # -- receiving
    def _decode(self, opcode, data):
        if self.encoding == "json":
            assert opcode == ABNF.OPCODE_TEXT, \
                "JSON connection got a non-text frame (opcode %s): %r" % (opcode, data[:100])
            msg = json.loads(data.decode("utf-8"))
        else:
            assert opcode == ABNF.OPCODE_BINARY, \
                "MessagePack connection got a non-binary frame (opcode %s): %r" % (opcode, data[:100])
            msg = msgpack.unpackb(data, raw=False)
        assert isinstance(msg, dict), "server message is not an object: %r" % (msg,)
        assert isinstance(msg.get("t"), str), "server message without string t: %r" % (msg,)
        return msg

    def recv(self, timeout=None):
        """The next message off the wire (ignores the buffer). Answers pings (the library
        does), counts them. Raises TimeoutError or ConnectionClosed."""
        if self.closed:
            raise ConnectionClosed(self.close_code, self.close_reason)
        deadline = time.monotonic() + (WAIT if timeout is None else timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("%s: nothing received" % self.label)
            self.ws.settimeout(remaining)
            try:
                frame = self.ws.recv_frame()
            except websocket.WebSocketTimeoutException:
                raise TimeoutError("%s: nothing received" % self.label) from None
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError) as e:
                self.closed = True
                raise ConnectionClosed(None, "transport: %r" % (e,)) from None
            if frame is None:
                self.closed = True
                raise ConnectionClosed(None, "transport: no frame")
            op = frame.opcode
            if op in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY, ABNF.OPCODE_CONT):
                cont = self.ws.cont_frame
                cont.validate(frame)
                cont.add(frame)
                if cont.is_fire(frame):
                    opcode, whole = cont.extract(frame)
                    return self._decode(opcode, whole.data)
                continue
            if op == ABNF.OPCODE_PING:
                self.pings += 1
                try:
                    self.ws.pong(frame.data)
                except Exception:
                    pass
                continue
            if op == ABNF.OPCODE_PONG:
                continue
            if op == ABNF.OPCODE_CLOSE:
                self.closed = True
                self.close_code, self.close_reason = _close_code(frame.data)
                try:
                    self.ws.send_close()
                except Exception:
                    pass
                raise ConnectionClosed(self.close_code, self.close_reason)

    def request(self, t, _timeout=None, _id=None, **fields):
        """Send {"t": t, "id": <new id>, **fields}; return the reply carrying that id
        (`ok`, `error` or `pong`). Other messages are buffered; those that arrived during
        this wait are also listed in self.pre_reply."""
        rid = next(self._ids) if _id is None else _id
        msg = {"t": t, "id": rid}
        msg.update(fields)
        self.send(msg)
        return self.wait_reply(rid, _timeout)

    def wait_reply(self, rid, timeout=None):
        timeout = WAIT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self.pre_reply = []
        # a reply may already be buffered (e.g. read while waiting for something else)
        for m in list(self.buffer):
            if m.get("id") == rid and m.get("t") in ("ok", "error", "pong") \
                    and type(m.get("id")) is type(rid):
                self.buffer.remove(m)
                return m
        while True:
            remaining = deadline - time.monotonic()
            try:
                m = self.recv(max(remaining, 0.001)) if remaining > 0 else None
            except TimeoutError:
                m = None
            except ConnectionClosed as e:
                raise AssertionError("%s: connection closed (code %s %r) while waiting for the "
                                     "reply to id %r; got meanwhile: %s"
                                     % (self.label, e.code, e.reason, rid,
                                        _short(self.pre_reply))) from None
            if m is None:
                raise AssertionError("%s: no reply to id %r within %.1f s; got meanwhile: %s"
                                     % (self.label, rid, timeout, _short(self.pre_reply)))
            if m.get("t") in ("ok", "error", "pong") and m.get("id") == rid \
                    and type(m.get("id")) is type(rid):
                return m
            self.pre_reply.append(m)
            self.buffer.append(m)

    def call(self, t, **fields):
        """A request that must succeed: returns the `ok` (or `pong`)."""
        reply = self.request(t, **fields)
        assert reply.get("t") in ("ok", "pong"), "%s %s -> %s" % (t, _short(fields), _short(reply))
        return reply

    def fail(self, t, code, **fields):
        """A request that must fail with `code`: returns the `error`."""
        reply = self.request(t, **fields)
        assert_error(reply, code, ctx="%s %s" % (t, _short(fields)))
        return reply

    def ping(self):
        reply = self.request("ping")
        assert reply.get("t") == "pong", "ping -> %s" % _short(reply)
        return reply

    def next_event(self, t=None, timeout=None, **match):
        """The first buffered-or-arriving message matching t and fields (others stay
        buffered, in order)."""
        for m in self.buffer:
            if matches(m, t, **match):
                self.buffer.remove(m)
                return m
        timeout = WAIT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError()
                m = self.recv(remaining)
            except TimeoutError:
                raise AssertionError("%s: no %s %s within %.1f s; buffered: %s"
                                     % (self.label, t or "message", _short(match), timeout,
                                        _short(list(self.buffer), 600))) from None
            except ConnectionClosed as e:
                raise AssertionError("%s: closed (code %s %r) while waiting for %s %s"
                                     % (self.label, e.code, e.reason, t, _short(match))) from None
            if matches(m, t, **match):
                return m
            self.buffer.append(m)

    def take(self, t=None, **match):
        """Remove and return every buffered message matching (in order)."""
        got = [m for m in self.buffer if matches(m, t, **match)]
        for m in got:
            self.buffer.remove(m)
        return got

    def drain(self, within=0.05):
        """Read everything that arrives within `within` seconds into the buffer."""
        try:
            while True:
                self.buffer.append(self.recv(within))
        except TimeoutError:
            pass

    def no_event(self, t=None, within=QUIET, **match):
        """Assert that no matching message is buffered or arrives within `within` s."""
        for m in self.buffer:
            assert not matches(m, t, **match), "%s: unexpected %s" % (self.label, _short(m))
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                m = self.recv(remaining)
            except TimeoutError:
                return
            except ConnectionClosed as e:
                raise AssertionError("%s: closed (code %s) while expecting quiet"
                                     % (self.label, e.code)) from None
            assert not matches(m, t, **match), "%s: unexpected %s" % (self.label, _short(m))
            self.buffer.append(m)

    def expect_close(self, code, timeout=None):
        """Read until the server's close frame; assert its code. Returns the messages
        received before it (also left in the buffer)."""
        timeout = WAIT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError()
                m = self.recv(remaining)
            except TimeoutError:
                raise AssertionError("%s: no close (expected %s) within %.1f s; got: %s"
                                     % (self.label, code, timeout, _short(seen, 600))) from None
            except ConnectionClosed as e:
                assert e.code == code, "%s: expected close code %s, got %s (%s); before it: %s" % (
                    self.label, code, e.code, e.reason, _short(seen, 600))
                return seen
            seen.append(m)
            self.buffer.append(m)

    def is_open(self):
        """True if a ping request still gets its pong."""
        try:
            return self.request("ping").get("t") == "pong"
        except (AssertionError, ConnectionClosed, OSError, websocket.WebSocketException):
            return False

    def close(self):
        if self in Client._open:
            Client._open.remove(self)
        if self.closed:
            try:
                self.ws.shutdown()
            except Exception:
                pass
            return
        self.closed = True
        try:
            self.ws.close(timeout=1)
        except Exception:
            try:
                self.ws.shutdown()
            except Exception:
                pass

    @classmethod
    def close_all(cls):
        for c in list(cls._open):
            c.close()


def assert_error(reply, code, ctx=""):
    assert reply.get("t") == "error", "%s: expected error %s, got %s" % (ctx, code, _short(reply))
    assert reply.get("code") == code, "%s: expected error %s, got %s" % (ctx, code, _short(reply))
    assert isinstance(reply.get("message"), str), "%s: error without string message: %s" % (
        ctx, _short(reply))
    assert isinstance(reply.get("retryable"), bool), "%s: error without bool retryable: %s" % (
        ctx, _short(reply))
    return reply


# ----------------------------------------------------------------------------- raw WebSocket

class RawFrame(collections.namedtuple("RawFrame", "fin rsv opcode payload")):
    @property
    def text(self):
        return self.payload.decode("utf-8")

    def json(self):
        return json.loads(self.payload.decode("utf-8"))


class RawWS:
    """A minimal WebSocket client over a plain socket. Does not answer pings unless asked."""

    def __init__(self, sock, status, reason, headers, body, leftover):
        self.sock = sock
        self.status = status
        self.reason = reason
        self.headers = headers  # lowercase name -> value
        self.body = body
        self.buf = bytearray(leftover)
        self.eof = False

    @classmethod
    def connect(cls, port, path="/ws", *, token=None, headers=None, subprotocols=None,
                timeout=None, host=HOST):
        timeout = timeout or WAIT
        sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path,
                 "Host: %s:%d" % (host, port),
                 "Upgrade: websocket",
                 "Connection: Upgrade",
                 "Sec-WebSocket-Key: %s" % key,
                 "Sec-WebSocket-Version: 13"]
        if subprotocols:
            lines.append("Sec-WebSocket-Protocol: %s" % ", ".join(subprotocols))
        if token is not None:
            lines.append("Authorization: Bearer %s" % token)
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = bytearray()
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in data:
            if time.monotonic() > deadline:
                raise TimeoutError("no HTTP response to the upgrade request")
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, sep, rest = bytes(data).partition(b"\r\n\r\n")
        if not sep:
            sock.close()
            raise ConnectionError("connection closed during the handshake: %r" % bytes(data))
        status_line, *hdr_lines = head.decode("iso-8859-1").split("\r\n")
        parts = status_line.split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        hdrs = {}
        for line in hdr_lines:
            name, _, value = line.partition(":")
            hdrs[name.strip().lower()] = value.strip()
        body = b""
        if status == 101:
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            assert hdrs.get("sec-websocket-accept") == accept, "bad Sec-WebSocket-Accept"
            return cls(sock, status, reason, hdrs, body, rest)
        # not upgraded: read the body (Content-Length bounded), then close
        length = int(hdrs.get("content-length", "0") or 0)
        body = bytearray(rest)
        try:
            while len(body) < length and time.monotonic() < deadline:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                body += chunk
        except OSError:
            pass
        sock.close()
        return cls(None, status, reason, hdrs, bytes(body), b"")

    @property
    def upgraded(self):
        return self.status == 101

    # -- frames out
    def send_frame(self, opcode, payload=b"", fin=True, mask=True, rsv=0):
        self.sock.sendall(self.frame_bytes(opcode, payload, fin, mask, rsv))

    def send_json_batch(self, objs):
        """Text frames for `objs`, in one `sendall`: the broker reads them together."""
        self.sock.sendall(b"".join(
            self.frame_bytes(OP_TEXT, json.dumps(o, separators=(",", ":"))) for o in objs))

    @staticmethod
    def frame_bytes(opcode, payload=b"", fin=True, mask=True, rsv=0):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            header = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            header = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            header = struct.pack("!BBQ", b0, mbit | 127, n)
        if mask:
            key = os.urandom(4)
            masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if n < 4096 \
                else _mask_fast(payload, key)
            return header + key + masked
        return header + payload

    def send_text(self, text):
        self.send_frame(OP_TEXT, text)

    def send_json(self, obj):
        self.send_frame(OP_TEXT, json.dumps(obj, separators=(",", ":")))

    def send_binary(self, data):
        self.send_frame(OP_BINARY, data)

    def send_close(self, code=1000):
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", code))
        except OSError:
            pass

    # -- frames in
    def _fill(self, n, deadline):
        while len(self.buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("raw: timed out")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("raw: timed out") from None
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.eof = True
                raise ConnectionClosed(None, "raw: EOF")
            self.buf += chunk

    def recv_frame(self, timeout=None):
        """One frame (fragments are not joined). Raises TimeoutError, or
        ConnectionClosed(None) on EOF without a close frame."""
        deadline = time.monotonic() + (WAIT if timeout is None else timeout)
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        assert not (b1 & 0x80), "server frames must not be masked"
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            self._fill(4, deadline)
            n = struct.unpack("!H", bytes(self.buf[2:4]))[0]
            pos = 4
        elif n == 127:
            self._fill(10, deadline)
            n = struct.unpack("!Q", bytes(self.buf[2:10]))[0]
            pos = 10
        self._fill(pos + n, deadline)
        payload = bytes(self.buf[pos:pos + n])
        del self.buf[:pos + n]
        return RawFrame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload)

    def read_until_close(self, timeout=None, answer_pings=False):
        """Read frames until a close frame, EOF or the timeout.
        Returns (how, code, frames before): how is "close" (code from the close frame),
        "eof" (TCP ended without a close frame) or "timeout" (still open)."""
        deadline = time.monotonic() + (WAIT if timeout is None else timeout)
        frames = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout", None, frames
            try:
                f = self.recv_frame(remaining)
            except TimeoutError:
                return "timeout", None, frames
            except ConnectionClosed:
                return "eof", None, frames
            if f.opcode == OP_CLOSE:
                code, _ = _close_code(f.payload)
                self.send_close(code or 1000)
                return "close", code, frames
            if f.opcode == OP_PING and answer_pings:
                try:
                    self.send_frame(OP_PONG, f.payload)
                except OSError:
                    pass
            frames.append(f)

    def expect_close(self, code, timeout=None):
        how, got, frames = self.read_until_close(timeout)
        assert how == "close" and got == code, \
            "expected close code %s, got %s %s; frames before: %s" % (
                code, how, got, _short([(f.opcode, f.payload[:80]) for f in frames], 600))
        return frames

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None


def _mask_fast(payload, key):
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


# ----------------------------------------------------------------------------- protocol helpers

ROOM_ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-")


def room_id(prefix="r"):
    """A fresh, valid room id."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def valid_room_id(rid):
    return isinstance(rid, str) and 1 <= len(rid.encode()) <= 128 and set(rid) <= ROOM_ID_CHARS


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def create_room(client, members, room=None, **extra):
    """`create` (room id given or picked by the server); returns the room id."""
    fields = {"members": list(members)}
    if room is not None:
        fields["room"] = room
    fields.update(extra)
    ok = client.call("create", **fields)
    assert valid_room_id(ok.get("room")), ok
    if room is not None:
        assert ok["room"] == room, ok
    return ok["room"]


def check_join_ok(ok, room, *, replayed=0, gap=False):
    assert ok.get("t") == "ok", ok
    assert ok.get("room") == room, ok
    assert is_int(ok.get("head")) and ok["head"] >= 0, ok
    assert ok.get("replayed") == replayed and is_int(ok["replayed"]), ok
    assert ok.get("gap") is gap, ok
    reads = ok.get("reads")
    assert isinstance(reads, dict), "join ok without reads (room of <= 100 members): %r" % (ok,)
    for user, seq in reads.items():
        assert isinstance(user, str) and is_int(seq), ok
    return ok


def send_msg(client, room, body="hello", cid=None, **extra):
    """`send` that must succeed; returns the ok ({room, seq, ts})."""
    cid = cid or new_cid()
    ok = client.call("send", room=room, cid=cid, body=body, **extra)
    assert ok.get("room") == room, ok
    assert is_int(ok.get("seq")) and ok["seq"] >= 1, ok
    assert is_int(ok.get("ts")), ok
    assert abs(ok["ts"] - time.time() * 1000) < 120_000, "ts is not ms since the epoch: %r" % ok
    ok["cid"] = cid  # for the caller's convenience
    return ok


MSG_KEYS = {"t", "room", "seq", "from", "body", "kind", "ts", "cid"}
HISTORY_KEYS = (MSG_KEYS - {"t"}) | {"deleted", "reactions"}  # "t" may or may not be there


_ABSENT = object()


def check_msg(m, *, room, seq=None, sender=None, body=None, cid=None, kind="text",
              ts=None, history=False, reply_to=_ABSENT, meta=_ABSENT):
    """A `msg` event (or, history=True, a msg object of a history result)."""
    keys = set(m)
    need = HISTORY_KEYS if history else MSG_KEYS
    assert need <= keys, "msg lacks %s: %r" % (need - keys, m)
    # extra keys are tolerated (clients ignore unknown keys, PROTOCOL §1)
    if not history or "t" in m:
        assert m["t"] == "msg", m
    assert m["room"] == room, m
    assert is_int(m["seq"]) and is_int(m["ts"]), m
    assert isinstance(m["from"], str) and isinstance(m["body"], str), m
    assert isinstance(m["kind"], str) and isinstance(m["cid"], str), m
    if seq is not None:
        assert m["seq"] == seq, m
    if sender is not None:
        assert m["from"] == sender, m
    if body is not None:
        assert m["body"] == body, m
    if cid is not None:
        assert m["cid"] == cid, m
    if kind is not None:
        assert m["kind"] == kind, m
    if ts is not None:
        assert m["ts"] == ts, m
    # optional fields: present with the given value, or absent (null tolerated) when not given
    for key, want in (("reply_to", reply_to), ("meta", meta)):
        if want is _ABSENT:
            assert m.get(key) is None, "msg has %s although none was sent: %r" % (key, m)
        else:
            assert m.get(key) == want, "msg %s: expected %r: %r" % (key, want, m)
    if history:
        assert m["deleted"] is False, m
        assert m["reactions"] == {}, m
        assert m.get("edited_ts") is None, "never edited, but edited_ts: %r" % (m,)
    return m


def history_all(client, room, after=0, limit=100):
    """Every message with seq > after, paged forward with `after`."""
    out = []
    cursor = after
    for _ in range(100000):
        page = client.call("history", room=room, after=cursor, limit=limit)
        msgs = page["messages"]
        assert isinstance(page.get("more"), bool), page
        assert len(msgs) <= limit, page
        out.extend(msgs)
        if not page["more"]:
            break
        assert msgs, "history after=%s: more=true but no messages" % cursor
        cursor = msgs[-1]["seq"]
    return out


def history_all_backward(client, room, limit=100):
    """Every message, paged backward: the latest page, then `before`."""
    pages = []
    page = client.call("history", room=room, limit=limit)
    while True:
        msgs = page["messages"]
        assert isinstance(page.get("more"), bool), page
        assert len(msgs) <= limit, page
        pages.append(msgs)
        if not page["more"]:
            break
        assert msgs, "history: more=true but no messages"
        page = client.call("history", room=room, before=msgs[0]["seq"], limit=limit)
    out = []
    for msgs in reversed(pages):
        out.extend(msgs)
    return out


def fields_match(ev, expected):
    """Every expected key present with an equal value of the same JSON type (extra keys
    are allowed: clients ignore unknown keys)."""
    for k, v in expected.items():
        if k not in ev or ev[k] != v:
            return False
        if isinstance(v, bool) != isinstance(ev[k], bool):
            return False
        if isinstance(v, str) != isinstance(ev[k], str):
            return False
    return True
