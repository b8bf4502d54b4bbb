"""Encodings and subprotocol negotiation (PROTOCOL §1): parley.v1.msgpack carries binary
frames with MessagePack maps holding exactly the keys and value types of the JSON form."""

import msgpack
import pytest

from parley_client import (Client, RawWS, assert_error, check_join_ok, check_msg, create_room,
                           fields_match, is_int, new_cid, room_id, send_msg)


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory(name="msgpack")


def wire_type(v):
    """The JSON type of a value (int and float are both 'number')."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if v is None:
        return "null"
    if isinstance(v, list):
        return ["array"] + [wire_type(x) for x in v]
    if isinstance(v, dict):
        return {k: wire_type(x) for k, x in v.items()}
    return type(v).__name__  # bytes etc.: never equal to a JSON type


def same_shape(a, b, ctx=""):
    assert set(a) == set(b), "%s: keys differ: %r vs %r" % (ctx, sorted(a), sorted(b))
    assert wire_type(a) == wire_type(b), "%s: types differ:\n%r\n%r" % (ctx, a, b)


# ----------------------------------------------------------------------------- negotiation

@pytest.mark.parametrize("offered,chosen", [
    (["parley.v1.json"], "parley.v1.json"),
    (["parley.v1.msgpack"], "parley.v1.msgpack"),
    (["chat.other", "parley.v1.msgpack"], "parley.v1.msgpack"),
    (["parley.v1.json", "x-unknown"], "parley.v1.json"),
])
def test_101_echoes_the_chosen_subprotocol(broker, offered, chosen):
    raw = RawWS.connect(broker.port, token=broker.token("alice"), subprotocols=offered)
    try:
        assert raw.status == 101, (raw.status, raw.body)
        assert raw.headers.get("sec-websocket-protocol") == chosen, raw.headers
        hello = raw.recv_frame()
        if chosen.endswith("msgpack"):
            assert hello.opcode == 0x2, "msgpack hello must be a binary frame"
            assert msgpack.unpackb(hello.payload, raw=False)["t"] == "hello"
        else:
            assert hello.opcode == 0x1, "json hello must be a text frame"
            assert hello.json()["t"] == "hello"
    finally:
        raw.close()


def test_both_offered_picks_one_of_them(broker):
    raw = RawWS.connect(broker.port, token=broker.token("alice"),
                        subprotocols=["parley.v1.msgpack", "parley.v1.json"])
    try:
        assert raw.status == 101
        chosen = raw.headers.get("sec-websocket-protocol")
        assert chosen in ("parley.v1.msgpack", "parley.v1.json"), raw.headers
        hello = raw.recv_frame()
        assert hello.opcode == (0x2 if chosen.endswith("msgpack") else 0x1)
    finally:
        raw.close()


def test_no_subprotocol_means_json(broker):
    raw = RawWS.connect(broker.port, token=broker.token("alice"))
    try:
        assert raw.status == 101
        assert "sec-websocket-protocol" not in raw.headers, raw.headers
        hello = raw.recv_frame()
        assert hello.opcode == 0x1 and hello.json()["t"] == "hello"
    finally:
        raw.close()
    c = Client.connect(broker, token=broker.token("alice"), proto=None)
    c.ping()


@pytest.mark.parametrize("offered", [["chat"], ["parley.v2.json"], ["PARLEY.V1.JSONX", "mqtt"]])
def test_unknown_subprotocols_only_is_400(broker, offered):
    raw = RawWS.connect(broker.port, token=broker.token("alice"), subprotocols=offered)
    try:
        assert raw.status == 400, (raw.status, raw.reason)
        assert not raw.upgraded
    finally:
        raw.close()


# ----------------------------------------------------------------------------- msgpack basics

@pytest.mark.parametrize("how", ["header", "query", "frame"])
def test_msgpack_auth_ways(broker, how):
    j = Client.connect(broker, token=broker.token("alice"), auth=how, proto="json")
    m = Client.connect(broker, token=broker.token("alice"), auth=how, proto="msgpack")
    same_shape(j.hello, m.hello, "hello")
    assert m.hello["user"] == "alice"
    assert is_int(m.hello["server_time"]) and is_int(m.hello["heartbeat_ms"])


@pytest.mark.parametrize("rid", [5, "str-id"])
def test_msgpack_ping_pong(broker, rid):
    m = broker.connect("alice", proto="msgpack")
    m.send({"t": "ping", "id": rid})
    pong = m.next_event("pong")
    assert fields_match(pong, {"t": "pong", "id": rid}), pong


def test_msgpack_errors_have_the_json_shape(broker):
    j = broker.connect("alice", proto="json")
    m = broker.connect("alice", proto="msgpack")
    missing = room_id("missing")
    ej = j.fail("join", "not_found", room=missing)
    em = m.fail("join", "not_found", room=missing)
    same_shape(ej, em, "error")
    assert em["retryable"] is False and is_int(em["id"])


def test_msgpack_bad_frames_are_bad_request(broker):
    m = broker.connect("alice", proto="msgpack")
    m.send_binary(b"\xc1")  # never-used MessagePack byte
    assert_error(m.next_event("error"), "bad_request")
    m.send_binary(msgpack.packb([1, 2, 3]))  # not a map
    assert_error(m.next_event("error"), "bad_request")
    m.send_binary(msgpack.packb({"id": 3}))  # no t
    e = m.next_event("error")
    assert_error(e, "bad_request")
    assert e.get("id") == 3
    m.send_binary(msgpack.packb({"t": "send", "id": 4, "room": 1, "cid": "c", "body": "b"}))
    e = m.next_event("error")
    assert_error(e, "bad_request")
    assert e.get("id") == 4
    m.ping()


# ----------------------------------------------------------------------------- mixed two-user flow

def test_two_user_flow_json_and_msgpack(broker):
    alice = broker.connect("alice", proto="json", label="alice-json")
    bob = broker.connect("bob", proto="msgpack", label="bob-msgpack")
    same_shape(alice.hello, bob.hello, "hello")

    room = create_room(bob, ["alice"], title="mixed")  # created over msgpack
    ja = check_join_ok(alice.call("join", room=room), room)
    jb = check_join_ok(bob.call("join", room=room), room)
    same_shape(ja, jb, "join ok")
    assert ja["head"] == jb["head"]
    assert {k: v for k, v in ja.items() if k != "id"} == {k: v for k, v in jb.items() if k != "id"}
    head = ja["head"]

    # json -> msgpack
    ok1 = send_msg(alice, room, "hello bob \u00e9\U0001F600")
    m1b = bob.next_event("msg", room=room, seq=ok1["seq"])
    m1a = alice.next_event("msg", room=room, seq=ok1["seq"])
    assert m1b == m1a, (m1a, m1b)
    same_shape(m1a, m1b, "msg")
    check_msg(m1b, room=room, seq=head + 1, sender="alice", body="hello bob \u00e9\U0001F600",
              cid=ok1["cid"], kind="text", ts=ok1["ts"])

    # msgpack -> json, with reply_to and meta
    meta = {"mentions": ["alice"], "n": 3, "flag": True, "nested": {"list": [1, "two"]}}
    cid2 = new_cid()
    ok2 = bob.call("send", room=room, cid=cid2, body="hi alice", reply_to=ok1["seq"], meta=meta)
    same_shape({k: v for k, v in ok1.items() if k != "cid"}, ok2, "send ok")
    assert ok2["seq"] == head + 2 and is_int(ok2["ts"])
    m2a = alice.next_event("msg", room=room, seq=ok2["seq"])
    m2b = bob.next_event("msg", room=room, seq=ok2["seq"])
    assert m2a == m2b, (m2a, m2b)
    same_shape(m2a, m2b, "msg with meta")
    check_msg(m2a, room=room, seq=ok2["seq"], sender="bob", body="hi alice", cid=cid2,
              ts=ok2["ts"], reply_to=ok1["seq"], meta=meta)

    # idempotent resend over msgpack
    again = bob.call("send", room=room, cid=cid2, body="hi alice", reply_to=ok1["seq"], meta=meta)
    assert (again["seq"], again["ts"]) == (ok2["seq"], ok2["ts"])
    alice.no_event("msg", room=room)

    # history is identical
    ha = alice.call("history", room=room)
    hb = bob.call("history", room=room)
    assert {k: v for k, v in ha.items() if k != "id"} == {k: v for k, v in hb.items() if k != "id"}
    same_shape(ha, hb, "history")
    assert [m["seq"] for m in hb["messages"]] == [ok1["seq"], ok2["seq"]]
    check_msg(hb["messages"][1], room=room, seq=ok2["seq"], sender="bob", cid=cid2,
              reply_to=ok1["seq"], meta=meta, history=True)

    # typing both ways
    bob.call("typing", room=room, on=True)
    ta = alice.next_event("typing", room=room)
    assert fields_match(ta, {"t": "typing", "room": room, "user": "bob", "on": True}), ta
    alice.call("typing", room=room, on=False)
    tb = bob.next_event("typing", room=room)
    assert fields_match(tb, {"t": "typing", "room": room, "user": "alice", "on": False}), tb
    assert tb["on"] is False

    # read both ways
    bob.call("read", room=room, seq=ok2["seq"])
    ra = alice.next_event("read", room=room)
    assert fields_match(ra, {"t": "read", "room": room, "user": "bob", "seq": ok2["seq"]}), ra
    alice.call("read", room=room, seq=ok2["seq"])
    rb = bob.next_event("read", room=room)
    assert fields_match(rb, {"t": "read", "room": room, "user": "alice", "seq": ok2["seq"]}), rb
    same_shape(ra, rb, "read")

    # resume over msgpack
    bob.close()
    ok3 = send_msg(alice, room, "while you were away")
    bob = broker.connect("bob", proto="msgpack", label="bob-msgpack-2")
    jr = bob.call("join", room=room, since=ok2["seq"])
    check_join_ok(jr, room, replayed=1)
    replay = [m for m in bob.pre_reply if m.get("t") == "msg"]
    assert len(replay) == 1
    check_msg(replay[0], room=room, seq=ok3["seq"], sender="alice", cid=ok3["cid"],
              ts=ok3["ts"], body="while you were away")
    assert jr["reads"].get("bob") == ok2["seq"]
    assert jr["reads"].get("alice") == ok2["seq"]


def test_msgpack_body_limit_counts_utf8_bytes(broker):
    b = broker.connect("bob", proto="msgpack")
    room = create_room(b, ["alice"])
    b.call("join", room=room)
    body = "\u00e9" * 8192  # 16384 UTF-8 bytes: exactly the default limit
    ok = send_msg(b, room, body)
    assert b.next_event("msg", room=room, seq=ok["seq"])["body"] == body
    b.fail("send", "too_large", room=room, cid=new_cid(), body=body + "x")
    b.ping()
