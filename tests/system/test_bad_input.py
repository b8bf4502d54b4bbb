"""Bad input costs the server nothing lasting (PROTOCOL §1, §3): malformed frames get
bad_request and the connection stays; too many close with 4008; oversized frames close
with 1009; oversized bodies and too many joined rooms get too_large; rate limiting."""

import json
import time

import msgpack
import pytest

import parley_harness as H
from parley_client import (RawWS, assert_error, check_join_ok, create_room, new_cid,
                           send_msg)

MAX_FRAME = 4096
MAX_BODY = 100
MAX_ROOMS = 3


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory("--max-frame", MAX_FRAME, "--max-body", MAX_BODY,
                                 "--max-rooms", MAX_ROOMS, name="limits")


def test_hello_reports_configured_limits(broker):
    c = broker.connect("alice")
    assert c.hello["limits"]["frame"] == MAX_FRAME
    assert c.hello["limits"]["body"] == MAX_BODY
    assert c.hello["limits"]["rooms"] == MAX_ROOMS


# ----------------------------------------------------------------------------- malformed frames

# (name, frame kind, payload, id the error must echo or None)
MALFORMED = [
    ("invalid_json", "text", "{", None),
    ("truncated_json", "text", '{"t":"ping","id":5', None),
    ("trailing_garbage", "text", '{"t":"ping","id":5} x', None),
    ("json_array", "text", '[{"t":"ping","id":1}]', None),
    ("json_string", "text", '"ping"', None),
    ("json_number", "text", "42", None),
    ("json_null", "text", "null", None),
    ("empty_text", "text", "", None),
    ("missing_t", "text", '{"id":3,"room":"x"}', 3),
    ("t_not_string", "text", '{"t":5,"id":4}', 4),
    ("t_null", "text", '{"t":null,"id":"n"}', "n"),
    ("unknown_t", "text", '{"t":"frobnicate","id":6}', 6),
    ("id_is_object", "text", '{"t":"ping","id":{"a":1}}', None),
    ("binary_on_json", "binary", msgpack.packb({"t": "ping", "id": 99}), None),
    ("binary_garbage", "binary", b"\xc1\xff\x00", None),
]

# wrong field types in otherwise valid requests, on a room the user is a member of
WRONG_TYPES = [
    ("send_room_number", {"t": "send", "id": 7, "room": 5, "cid": "c1", "body": "x"}),
    ("send_body_number", {"t": "send", "id": 8, "room": "$R", "cid": "c2", "body": 42}),
    ("send_cid_number", {"t": "send", "id": 9, "room": "$R", "cid": 17, "body": "x"}),
    ("send_body_object", {"t": "send", "id": 10, "room": "$R", "cid": "c3", "body": {"a": 1}}),
    ("join_since_string", {"t": "join", "id": 11, "room": "$R", "since": "3"}),
    ("history_limit_string", {"t": "history", "id": 12, "room": "$R", "limit": "5"}),
    ("typing_on_string", {"t": "typing", "id": 13, "room": "$R", "on": "yes"}),
    ("read_seq_string", {"t": "read", "id": 14, "room": "$R", "seq": "1"}),
    ("create_members_string", {"t": "create", "id": 15, "members": "bob"}),
    ("join_room_missing", {"t": "join", "id": 16}),
    ("auth_token_number", {"t": "auth", "id": 17, "token": 12345}),
]


def _send_kind(c, kind, payload):
    if kind == "text":
        c.send_text(payload)
    else:
        c.send_binary(payload)


@pytest.mark.parametrize("name,kind,payload,rid", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_frame_is_bad_request_and_connection_stays(broker, name, kind, payload, rid):
    c = broker.connect("alice")
    _send_kind(c, kind, payload)
    err = c.next_event("error")
    assert_error(err, "bad_request", ctx=name)
    if rid is not None:
        assert err.get("id") == rid, err
    c.ping()
    c.no_event("error", within=0.1)


@pytest.mark.parametrize("name,msg", WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_wrong_field_type_is_bad_request(broker, name, msg):
    c = broker.connect("alice")
    room = create_room(c, ["bob"])
    c.call("join", room=room)
    msg = {k: (room if v == "$R" else v) for k, v in msg.items()}
    c.send_text(json.dumps(msg))
    err = c.next_event("error")
    assert_error(err, "bad_request", ctx=name)
    assert err.get("id") == msg["id"], err
    c.ping()
    assert c.call("history", room=room)["messages"] == []  # nothing was stored


BAD_FRAMES = ["{", "[]", '{"id":1}', '{"t":"nope"}', "null"]


def _bad(i):
    return BAD_FRAMES[i % len(BAD_FRAMES)]


def test_five_bad_frames_do_not_close(broker):
    c = broker.connect("alice")
    for i in range(5):
        c.send_text(_bad(i))
    for _ in range(5):
        assert_error(c.next_event("error"), "bad_request")
    c.ping()


def test_25_bad_frames_close_4008(broker):
    c = broker.connect("alice")
    sent = 0
    try:
        for i in range(25):
            c.send_text(_bad(i))
            sent += 1
    except Exception:
        pass  # the server may already have closed
    assert sent >= 21
    seen = c.expect_close(4008)
    errors = [m for m in seen if m.get("t") == "error"]
    # 19 or 20 errors (whether the closing frame still gets its error is not specified)
    assert 19 <= len(errors) <= 25, [m.get("code") for m in errors]
    for e in errors:
        assert_error(e, "bad_request")


def test_bad_frames_limit_flag_boundary(broker_factory):
    # PROTOCOL §3: "20 bad frames within 10 s close it": the limit-th bad frame closes.
    b = broker_factory("--bad-frames-limit", "5", name="badlimit")
    c = b.connect("alice")
    for i in range(4):
        c.send_text(_bad(i))
    for _ in range(4):
        assert_error(c.next_event("error"), "bad_request")
    c.ping()  # one below the limit: still open
    c.send_text(_bad(4))  # the limit-th: closed
    c.expect_close(4008)
    # other connections are not affected
    other = b.connect("bob")
    other.ping()


# ----------------------------------------------------------------------------- frame size

def _raw_authed(broker, user="alice"):
    raw = RawWS.connect(broker.port, token=broker.token(user), subprotocols=["parley.v1.json"])
    assert raw.status == 101, raw.status
    hello = raw.recv_frame()
    assert hello.opcode == 1 and hello.json()["t"] == "hello", hello
    return raw


def _padded_ping(size, rid=1):
    base = {"t": "ping", "id": rid, "pad": ""}
    overhead = len(json.dumps(base, separators=(",", ":")))
    base["pad"] = "p" * (size - overhead)
    data = json.dumps(base, separators=(",", ":"))
    assert len(data) == size
    return data


def _read_pong(raw, rid):
    deadline = time.monotonic() + H.scaled(5)
    while time.monotonic() < deadline:
        f = raw.recv_frame(max(deadline - time.monotonic(), 0.01))
        if f.opcode == 1:
            msg = f.json()
            if msg.get("t") == "pong" and msg.get("id") == rid:
                return msg
    raise AssertionError("no pong %r" % rid)


def test_frame_within_max_frame_is_fine(broker):
    raw = _raw_authed(broker)
    try:
        raw.send_text(_padded_ping(MAX_FRAME - 96, rid=1))
        _read_pong(raw, 1)
    finally:
        raw.close()


def test_frame_over_max_frame_closes_1009(broker):
    raw = _raw_authed(broker)
    try:
        raw.send_text(_padded_ping(MAX_FRAME + 904, rid=2))
        raw.expect_close(1009)
    finally:
        raw.close()


def test_fragmented_message_over_max_frame_closes_1009(broker):
    raw = _raw_authed(broker)
    try:
        data = _padded_ping(2 * MAX_FRAME - 1000, rid=3).encode()
        half = len(data) // 2
        raw.send_frame(0x1, data[:half], fin=False)
        raw.send_frame(0x0, data[half:], fin=True)
        raw.expect_close(1009)
    finally:
        raw.close()


def test_fragmented_message_within_max_frame_is_fine(broker):
    raw = _raw_authed(broker)
    try:
        data = _padded_ping(MAX_FRAME - 200, rid=4).encode()
        raw.send_frame(0x1, data[:1000], fin=False)
        raw.send_frame(0x0, data[1000:2000], fin=False)
        raw.send_frame(0x0, data[2000:], fin=True)
        _read_pong(raw, 4)
    finally:
        raw.close()


# ----------------------------------------------------------------------------- body size

@pytest.mark.parametrize("body,ok", [
    ("b" * MAX_BODY, True),
    ("\u00e9" * (MAX_BODY // 2), True),          # 2 bytes each: exactly 100 bytes
    ("\U0001F600" * (MAX_BODY // 4), True),      # 4 bytes each: exactly 100 bytes
    ("b" * (MAX_BODY + 1), False),
    ("\u00e9" * (MAX_BODY // 2 + 1), False),     # 51 characters, 102 bytes
    ("\U0001F600" * (MAX_BODY // 4 + 1), False),  # 26 characters, 104 bytes
])
def test_body_size_in_utf8_bytes(broker, body, ok):
    c = broker.connect("alice")
    room = create_room(c, ["bob"])
    c.call("join", room=room)
    if ok:
        send_msg(c, room, body)
        assert c.call("history", room=room)["messages"][0]["body"] == body
    else:
        c.fail("send", "too_large", room=room, cid=new_cid(), body=body)
        c.ping()  # the connection stays open
        assert c.call("history", room=room)["messages"] == []
        send_msg(c, room, "small one still works")


# ----------------------------------------------------------------------------- joined rooms

def test_max_rooms_per_connection(broker):
    c = broker.connect("alice")
    rooms = [create_room(c, ["bob"]) for _ in range(MAX_ROOMS + 1)]
    for r in rooms[:MAX_ROOMS]:
        check_join_ok(c.call("join", room=r), r)
    c.fail("join", "too_large", room=rooms[MAX_ROOMS])
    c.ping()
    # the limit is per connection
    other = broker.connect("alice")
    check_join_ok(other.call("join", room=rooms[MAX_ROOMS]), rooms[MAX_ROOMS])
    # and leaving frees a place
    c.call("leave", room=rooms[0])
    check_join_ok(c.call("join", room=rooms[MAX_ROOMS]), rooms[MAX_ROOMS])


# ----------------------------------------------------------------------------- rate limiting

def test_rate_limited_with_retry_after(broker_factory):
    b = broker_factory("--rate-per-s", "1", "--rate-burst", "5", name="rate")
    alice = b.connect("alice")
    assert alice.hello["limits"]["rate"]["per_s"] == 1
    assert alice.hello["limits"]["rate"]["burst"] == 5
    room = create_room(alice, ["bob"])
    bob = b.connect("bob")
    bob.call("join", room=room)  # one token
    ids = list(range(100, 112))
    for i in ids:
        bob.send({"t": "send", "id": i, "room": room, "cid": "c%d" % i, "body": "flood %d" % i})
    replies = [bob.wait_reply(i) for i in ids]
    oks = [r for r in replies if r["t"] == "ok"]
    limited = [r for r in replies if r["t"] == "error"]
    assert 1 <= len(oks) <= 6, replies
    assert len(limited) >= 6, replies
    retry = 0
    for r in limited:
        assert_error(r, "rate_limited")
        assert r["retryable"] is True, r
        assert isinstance(r.get("retry_after_ms"), int) and r["retry_after_ms"] > 0, r
        retry = max(retry, r["retry_after_ms"])
    assert retry <= 5000, "retry_after_ms %d for a 1/s bucket" % retry
    time.sleep(retry / 1000.0 + 0.2)  # wait as told (the contract's delay, not a sync)
    cid = new_cid()
    ok = bob.request("send", room=room, cid=cid, body="after waiting")
    assert ok["t"] == "ok", ok
    time.sleep(1.1)  # one more token for the history request
    hist = bob.request("history", room=room, limit=100)
    assert hist["t"] == "ok", hist
    # nothing refused was stored
    stored = sorted(m["cid"] for m in hist["messages"])
    assert stored == sorted(["c%d" % r["id"] for r in oks] + [cid])
