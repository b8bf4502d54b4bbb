"""Rooms, messages, history, typing, read markers (PROTOCOL §3, §4) over JSON."""

import json
import time

import pytest

from parley_client import (OP_CLOSE, OP_TEXT, WAIT, RawWS, assert_error, check_join_ok,
                           check_msg, create_room, fields_match, history_all, is_int, new_cid,
                           room_id, send_msg, valid_room_id)


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory(name="chat")


# ----------------------------------------------------------------------------- the main flow

def test_two_user_flow(broker):
    alice = broker.connect("alice", label="alice")
    bob = broker.connect("bob", label="bob")
    room = create_room(alice, ["bob"], title="alice and bob")

    ja = check_join_ok(alice.call("join", room=room), room)
    jb = check_join_ok(bob.call("join", room=room), room)
    head = ja["head"]
    assert jb["head"] == head

    # alice -> bob
    ok1 = send_msg(alice, room, "hello bob")
    assert ok1["seq"] == head + 1
    m1 = bob.next_event("msg", room=room, seq=ok1["seq"])
    check_msg(m1, room=room, seq=ok1["seq"], sender="alice", body="hello bob",
              cid=ok1["cid"], kind="text", ts=ok1["ts"])
    own1 = alice.next_event("msg", room=room, seq=ok1["seq"])  # the sender gets it too
    assert own1 == m1

    # bob -> alice
    ok2 = send_msg(bob, room, "hi alice")
    assert ok2["seq"] == head + 2
    m2 = alice.next_event("msg", room=room, seq=ok2["seq"])
    check_msg(m2, room=room, seq=ok2["seq"], sender="bob", body="hi alice", cid=ok2["cid"],
              ts=ok2["ts"])
    assert bob.next_event("msg", room=room, seq=ok2["seq"]) == m2

    # history, from either side
    for c in (alice, bob):
        h = c.call("history", room=room)
        assert h["more"] is False, h
        msgs = h["messages"]
        assert [m["seq"] for m in msgs] == [ok1["seq"], ok2["seq"]], h
        check_msg(msgs[0], room=room, seq=ok1["seq"], sender="alice", body="hello bob",
                  cid=ok1["cid"], ts=ok1["ts"], history=True)
        check_msg(msgs[1], room=room, seq=ok2["seq"], sender="bob", body="hi alice",
                  cid=ok2["cid"], ts=ok2["ts"], history=True)

    # typing reaches alice, not bob himself
    bob.call("typing", room=room, on=True)
    t_on = alice.next_event("typing", room=room)
    assert fields_match(t_on, {"t": "typing", "room": room, "user": "bob", "on": True}), t_on
    bob.call("typing", room=room, on=False)
    t_off = alice.next_event("typing", room=room)
    assert fields_match(t_off, {"t": "typing", "room": room, "user": "bob", "on": False}), t_off
    bob.no_event("typing")

    # read by bob -> read event at alice, not at bob's (sending) connection
    bob.call("read", room=room, seq=ok2["seq"])
    r = alice.next_event("read", room=room)
    assert fields_match(r, {"t": "read", "room": room, "user": "bob", "seq": ok2["seq"]}), r
    bob.no_event("read")

    # leave stops delivery
    bob.call("leave", room=room)
    ok3 = send_msg(alice, room, "are you there?")
    alice.next_event("msg", room=room, seq=ok3["seq"])
    bob.no_event("msg", room=room)
    # no msg of that room at all, including the earlier ones already consumed
    assert not bob.take("msg", room=room)


def test_join_fields_and_reads_map(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob", "carol"])
    ok = check_join_ok(alice.call("join", room=room), room)
    assert ok["head"] >= 0


# ----------------------------------------------------------------------------- create

def test_create_without_room_picks_a_valid_id(broker):
    alice = broker.connect("alice")
    ok = alice.call("create", members=["bob"])
    assert valid_room_id(ok.get("room")), ok
    check_join_ok(alice.call("join", room=ok["room"]), ok["room"])
    ok2 = alice.call("create", members=["bob"])
    assert ok2["room"] != ok["room"]


def test_creator_is_member_even_if_not_listed(broker):
    alice = broker.connect("alice")
    bob = broker.connect("bob")
    room = create_room(alice, ["bob"])
    check_join_ok(alice.call("join", room=room), room)
    check_join_ok(bob.call("join", room=room), room)
    send_msg(alice, room, "mine")


def test_creator_listed_in_members_is_fine(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["alice", "bob"])
    check_join_ok(alice.call("join", room=room), room)


def test_create_existing_room_is_conflict(broker):
    alice = broker.connect("alice")
    bob = broker.connect("bob")
    room = create_room(alice, ["bob"], room=room_id("dup"))
    alice.fail("create", "conflict", room=room, members=["bob"])
    bob.fail("create", "conflict", room=room, members=["alice"])
    # the first room is untouched
    check_join_ok(alice.call("join", room=room), room)


@pytest.mark.parametrize("shape", ["all_chars", "one_char", "128_bytes"])
def test_valid_room_ids(broker, shape):
    alice = broker.connect("alice")
    u = new_cid()[:8]
    rid = {"all_chars": "AZaz09_.:-" + u, "one_char": "Q", "128_bytes": ("r" * 120) + u}[shape]
    assert create_room(alice, ["bob"], room=rid) == rid
    check_join_ok(alice.call("join", room=rid), rid)


@pytest.mark.parametrize("rid", ["", "r" * 129, "has space", "slash/x", "q?x", "umlaut-\u00fc",
                                 "emoji-\U0001F600", "tab\tx", "comma,x", "hash#x"])
def test_invalid_room_id_is_bad_request(broker, rid):
    alice = broker.connect("alice")
    alice.fail("create", "bad_request", room=rid, members=["bob"])
    assert alice.is_open()


def test_create_with_wrong_member_type_is_bad_request(broker):
    alice = broker.connect("alice")
    alice.fail("create", "bad_request", room=room_id(), members="bob")
    alice.fail("create", "bad_request", room=room_id(), members=[1, 2])
    assert alice.is_open()


# ----------------------------------------------------------------------------- membership

def test_join_unknown_room_is_not_found(broker):
    alice = broker.connect("alice")
    alice.fail("join", "not_found", room=room_id("nope"))


def test_non_member_is_forbidden(broker):
    alice = broker.connect("alice")
    mallory = broker.connect("mallory")
    room = create_room(alice, ["bob"])
    check_join_ok(alice.call("join", room=room), room)
    ok = send_msg(alice, room, "secret")
    mallory.fail("join", "forbidden", room=room)
    mallory.fail("send", "forbidden", room=room, cid=new_cid(), body="let me in")
    mallory.fail("history", "forbidden", room=room)
    mallory.fail("read", "forbidden", room=room, seq=ok["seq"])
    mallory.fail("typing", "forbidden", room=room, on=True)
    # nothing leaked to the members
    alice.next_event("msg", room=room, seq=ok["seq"])
    alice.no_event("msg", room=room)
    alice.no_event("typing", room=room)
    h = alice.call("history", room=room)
    assert [m["body"] for m in h["messages"]] == ["secret"]


# ----------------------------------------------------------------------------- send

def test_seqs_are_contiguous(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    head = check_join_ok(alice.call("join", room=room), room)["head"]
    seqs = [send_msg(alice, room, "m%d" % i)["seq"] for i in range(10)]
    assert seqs == list(range(head + 1, head + 11))
    got = [alice.next_event("msg", room=room)["seq"] for _ in range(10)]
    assert got == seqs


def test_sends_read_together_with_a_close_are_all_stored_in_order(broker):
    # The broker hands a read's requests to the session together: those before a close
    # frame in the same read still count, and in their order.
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    head = check_join_ok(alice.call("join", room=room), room)["head"]
    bob = RawWS.connect(broker.port, token=broker.token("bob"), subprotocols=["parley.v1.json"])
    assert bob.recv_frame().json()["t"] == "hello"
    sends = [{"t": "send", "id": i, "room": room, "cid": new_cid(), "body": "b%d" % i}
             for i in range(20)]
    bob.sock.sendall(b"".join(
        [RawWS.frame_bytes(OP_TEXT, json.dumps(s)) for s in sends]
        + [RawWS.frame_bytes(OP_CLOSE, (1000).to_bytes(2, "big"))]))
    got = [alice.next_event("msg", room=room, seq=head + 1 + i) for i in range(20)]
    assert [(m["body"], m["cid"], m["from"]) for m in got] == \
        [(s["body"], s["cid"], "bob") for s in sends]
    bob.close()


def test_resend_same_cid_is_idempotent(broker):
    alice = broker.connect("alice")
    bob = broker.connect("bob")
    room = create_room(alice, ["bob"])
    check_join_ok(alice.call("join", room=room), room)
    check_join_ok(bob.call("join", room=room), room)
    cid = new_cid()
    ok = send_msg(alice, room, "once", cid=cid)
    bob.next_event("msg", room=room, seq=ok["seq"])
    alice.next_event("msg", room=room, seq=ok["seq"])
    for body in ("once", "once, but different body"):
        again = alice.call("send", room=room, cid=cid, body=body)
        assert again["seq"] == ok["seq"] and again["ts"] == ok["ts"], (ok, again)
        assert again["room"] == room
    bob.no_event("msg", room=room)
    alice.no_event("msg", room=room)
    nxt = send_msg(alice, room, "next")
    assert nxt["seq"] == ok["seq"] + 1
    h = alice.call("history", room=room)
    assert [(m["cid"], m["body"]) for m in h["messages"]] == [(cid, "once"), (nxt["cid"], "next")]


def test_same_cid_from_another_user_or_room_is_a_new_message(broker):
    alice = broker.connect("alice")
    bob = broker.connect("bob")
    room = create_room(alice, ["bob"])
    room2 = create_room(alice, ["bob"])
    for c in (alice, bob):
        c.call("join", room=room)
    alice.call("join", room=room2)
    cid = new_cid()
    a = send_msg(alice, room, "from alice", cid=cid)
    b = send_msg(bob, room, "from bob", cid=cid)
    assert b["seq"] == a["seq"] + 1
    c2 = send_msg(alice, room2, "other room", cid=cid)
    h = alice.call("history", room=room2)
    assert [m["seq"] for m in h["messages"]] == [c2["seq"]]


@pytest.mark.parametrize("cid,ok", [("c" * 64, True), ("\u00e9" * 32, True),
                                    ("c" * 65, False), ("\u00e9" * 33, False), ("", False)])
def test_cid_length(broker, cid, ok):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    if ok:
        send_msg(alice, room, "x", cid=cid)
    else:
        alice.fail("send", "bad_request", room=room, cid=cid, body="x")
        assert alice.is_open()


def test_send_without_cid_or_body_is_bad_request(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    alice.fail("send", "bad_request", room=room, body="no cid")
    alice.fail("send", "bad_request", room=room, cid=new_cid())
    alice.fail("send", "bad_request", cid=new_cid(), body="no room")
    assert alice.is_open()
    h = alice.call("history", room=room)
    assert h["messages"] == []


def test_reply_to_and_meta_are_carried(broker):
    alice = broker.connect("alice")
    bob = broker.connect("bob")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    bob.call("join", room=room)
    first = send_msg(alice, room, "question")
    meta = {"mentions": ["alice"], "attachments": [{"name": "a.txt", "size": 3}]}
    ans = send_msg(bob, room, "answer", reply_to=first["seq"], meta=meta)
    m = alice.next_event("msg", room=room, seq=ans["seq"])
    check_msg(m, room=room, seq=ans["seq"], sender="bob", body="answer",
              reply_to=first["seq"], meta=meta)
    h = alice.call("history", room=room)
    check_msg(h["messages"][-1], room=room, seq=ans["seq"], reply_to=first["seq"], meta=meta,
              history=True)


def test_unicode_body_round_trips(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    body = "gr\u00fc\u00dfe \u4f60\u597d \U0001F600 \"quoted\" \\ back\nslash"
    ok = send_msg(alice, room, body)
    assert alice.next_event("msg", room=room, seq=ok["seq"])["body"] == body
    assert alice.call("history", room=room)["messages"][0]["body"] == body


# ----------------------------------------------------------------------------- history

def test_history_paging(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    base = alice.call("join", room=room)["head"]
    n = 60
    oks = [send_msg(alice, room, "m%02d" % i) for i in range(n)]
    seqs = [o["seq"] for o in oks]
    assert seqs == list(range(base + 1, base + n + 1))

    latest = alice.call("history", room=room)  # default limit 50
    assert [m["seq"] for m in latest["messages"]] == seqs[-50:]
    assert latest["more"] is True
    for m, o in zip(latest["messages"], oks[-50:]):
        check_msg(m, room=room, seq=o["seq"], sender="alice", cid=o["cid"], ts=o["ts"],
                  history=True)

    everything = alice.call("history", room=room, limit=100)
    assert [m["seq"] for m in everything["messages"]] == seqs
    assert everything["more"] is False
    assert [m["body"] for m in everything["messages"]] == ["m%02d" % i for i in range(n)]

    page = alice.call("history", room=room, before=seqs[20], limit=10)
    assert [m["seq"] for m in page["messages"]] == seqs[10:20]
    assert page["more"] is True
    page = alice.call("history", room=room, before=seqs[5], limit=10)
    assert [m["seq"] for m in page["messages"]] == seqs[:5]
    assert page["more"] is False

    page = alice.call("history", room=room, after=seqs[20], limit=10)
    assert [m["seq"] for m in page["messages"]] == seqs[21:31]
    assert page["more"] is True
    page = alice.call("history", room=room, after=seqs[-4], limit=10)
    assert [m["seq"] for m in page["messages"]] == seqs[-3:]
    assert page["more"] is False
    page = alice.call("history", room=room, after=seqs[-1])
    assert page["messages"] == [] and page["more"] is False

    page = alice.call("history", room=room, limit=1)
    assert [m["seq"] for m in page["messages"]] == seqs[-1:] and page["more"] is True

    assert [m["seq"] for m in history_all(alice, room, after=base, limit=7)] == seqs


def test_history_of_empty_room(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    h = alice.call("history", room=room)
    assert h["messages"] == [] and h["more"] is False


@pytest.mark.parametrize("limit", [0, 101, -1, 1000])
def test_history_limit_out_of_range_is_bad_request(broker, limit):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    alice.fail("history", "bad_request", room=room, limit=limit)
    assert alice.is_open()


def test_history_limit_bounds_accepted(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    send_msg(alice, room, "one")
    assert len(alice.call("history", room=room, limit=1)["messages"]) == 1
    assert len(alice.call("history", room=room, limit=100)["messages"]) == 1


# ----------------------------------------------------------------------------- typing / read

def test_typing_default_on_and_fanout(broker):
    alice = broker.connect("alice", label="alice")
    bob = broker.connect("bob", label="bob")
    bob2 = broker.connect("bob", label="bob2")
    room = create_room(alice, ["bob"])
    head = alice.call("join", room=room)["head"]
    for c in (bob, bob2):
        c.call("join", room=room)
    bob.call("typing", room=room)  # on defaults to true
    ev = alice.next_event("typing", room=room)
    assert fields_match(ev, {"t": "typing", "room": room, "user": "bob", "on": True}), ev
    # not to any connection of the typing user
    bob.no_event("typing")
    bob2.no_event("typing", within=0.1)
    # typing is ephemeral: it takes no seq
    ok = send_msg(alice, room, "after typing")
    assert ok["seq"] == head + 1
    h = alice.call("history", room=room)
    assert [m["seq"] for m in h["messages"]] == [ok["seq"]]


def test_read_event_reaches_other_connections_of_the_reader(broker):
    alice = broker.connect("alice", label="alice")
    bob = broker.connect("bob", label="bob")
    bob2 = broker.connect("bob", label="bob2")
    room = create_room(alice, ["bob"])
    for c in (alice, bob, bob2):
        c.call("join", room=room)
    ok = send_msg(alice, room, "read me")
    bob.call("read", room=room, seq=ok["seq"])
    expect = {"t": "read", "room": room, "user": "bob", "seq": ok["seq"]}
    ra = alice.next_event("read", room=room)
    assert fields_match(ra, expect), ra
    rb = bob2.next_event("read", room=room)
    assert fields_match(rb, expect), rb
    bob.no_event("read")


def test_read_markers_forward_only_clamped_and_shown_in_join(broker):
    alice = broker.connect("alice", label="alice")
    bob = broker.connect("bob", label="bob")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    bob.call("join", room=room)
    oks = [send_msg(alice, room, "m%d" % i) for i in range(5)]
    s = [o["seq"] for o in oks]
    head = s[-1]

    def reads():
        other = broker.connect("alice", label="alice-probe")
        try:
            return check_join_ok(other.call("join", room=room), room)["reads"]
        finally:
            other.close()

    bob.call("read", room=room, seq=s[2])
    assert alice.next_event("read", room=room, user="bob")["seq"] == s[2]
    assert reads().get("bob") == s[2]

    bob.call("read", room=room, seq=s[1])  # backwards: ignored
    alice.no_event("read", room=room, seq=s[1])
    assert reads().get("bob") == s[2]

    bob.call("read", room=room, seq=head + 100)  # beyond head: clamped
    deadline = time.monotonic() + WAIT
    while True:
        got = reads().get("bob")
        assert got in (s[2], head), "read marker beyond head not clamped: %r" % got
        if got == head or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert got == head
    for ev in alice.take("read", room=room):
        assert s[2] < ev["seq"] <= head, ev


# ----------------------------------------------------------------------------- misc

@pytest.mark.parametrize("rid", [7, "req-7", 0, -3, "x" * 40])
def test_ping_pong_echoes_id(broker, rid):
    alice = broker.connect("alice")
    alice.send({"t": "ping", "id": rid})
    pong = alice.next_event("pong")
    assert pong.get("id") == rid and type(pong["id"]) is type(rid), pong


def test_unknown_keys_are_ignored(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"], future_field={"x": 1})
    alice.call("join", room=room, also_new=True)
    ok = alice.call("send", room=room, cid=new_cid(), body="fwd", priority="high", v=2)
    assert is_int(ok["seq"])
    assert alice.request("ping", extra=[1, 2, 3])["t"] == "pong"


def test_request_without_id_gets_no_ok_but_errors(broker):
    alice = broker.connect("alice")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    alice.send({"t": "send", "room": room, "cid": new_cid(), "body": "no id"})
    m = alice.next_event("msg", room=room)
    assert m["body"] == "no id"
    alice.no_event("ok")
    alice.send({"t": "join", "room": room_id("missing")})
    err = alice.next_event("error")
    assert_error(err, "not_found")
    assert err.get("id") is None
