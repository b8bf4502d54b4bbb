"""Flow control and token checks over real sockets: a reader that stops reading is cut
with 4009 while the room and its other readers go on (PROTOCOL §5.6), and `aud`/`iss` are
checked when configured (§2)."""

import json
import time

import pytest

import parley_harness as H
from parley_client import RawWS, create_room, send_msg


def test_a_slow_reader_is_closed_with_4009_and_never_slows_the_room(broker_factory):
    b = broker_factory("--max-output-bytes", "65536", "--max-body", "16384", name="slow")
    alice, fast = b.connect("fa"), b.connect("fb")
    room = create_room(alice, ["fb", "fc"])
    fast.call("join", room=room)
    slow = RawWS.connect(b.port, token=b.token("fc"), subprotocols=["parley.v1.json"])
    assert slow.status == 101
    assert slow.recv_frame().json()["t"] == "hello"
    slow.send_json({"t": "join", "room": room, "id": 1})
    assert slow.recv_frame().json()["t"] == "ok"
    # From here `slow` reads nothing: the kernel's buffers fill, then the broker's queue for
    # it passes 64 KiB and it is cut. Meanwhile every send is acked and the fast reader
    # gets everything, in order.
    body = "x" * 12000
    t0 = time.monotonic()
    acked, got = [], []
    for _ in range(700):
        acked.append(send_msg(alice, room, body=body)["seq"])
        got.append(fast.next_event("msg", seq=acked[-1])["seq"])  # fast keeps reading
    elapsed = time.monotonic() - t0
    assert got == acked
    assert elapsed < H.scaled(60), "sends took %.1f s" % elapsed
    # The slow reader finds, after what it had buffered, a close with 4009 (or the socket
    # closed under it when the broker gave up waiting to send the close frame).
    how, code, frames = slow.read_until_close(timeout=H.scaled(20))
    assert how in ("close", "eof"), (how, len(frames))
    if how == "close":
        assert code == 4009, code
    assert len(frames) < len(acked), "the slow reader got everything: it was not cut"
    status, _, metrics = H.http_request(b, "GET", "/metrics")
    assert b"parley_slow_consumer_closes_total 1" in metrics, metrics[:2000]


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory("--jwt-audience", "chat-app", "--jwt-issuer", "backend",
                                 name="audiss")


@pytest.mark.parametrize("extra,accepted", [
    ({"aud": "chat-app", "iss": "backend"}, True),
    ({"aud": ["other", "chat-app"], "iss": "backend"}, True),
    ({"aud": "other", "iss": "backend"}, False),
    ({"iss": "backend"}, False),
    ({"aud": "chat-app", "iss": "someone-else"}, False),
    ({"aud": "chat-app"}, False),
])
def test_audience_and_issuer_are_checked_when_configured(broker, extra, accepted):
    token = H.make_token("au", extra=extra)
    raw = RawWS.connect(broker.port, token=token, subprotocols=["parley.v1.json"])
    if accepted:
        assert raw.status == 101, (raw.status, raw.body)
        assert raw.recv_frame().json()["t"] == "hello"
    else:
        assert raw.status == 401, (raw.status, raw.body)
        assert json.loads(raw.body)["error"]["code"] == "unauthorized"


def _replies(ws, ids, timeout):
    """Reads until every id in `ids` has its reply; returns ({id: reply}, [events])."""
    replies, events = {}, []
    deadline = time.monotonic() + timeout
    while len(replies) < len(ids):
        frame = ws.recv_frame(timeout=max(deadline - time.monotonic(), 0.001)).json()
        if frame.get("id") in ids and frame["t"] in ("ok", "error"):
            replies[frame["id"]] = frame
        else:
            events.append(frame)
    return replies, events


def test_catch_up_requests_past_the_lane_wait_at_the_connection_and_keep_their_order(
        broker_factory):
    # One catch-up slot (limits.catch_up_in_flight) on the one I/O thread: of the joins,
    # history and rooms that arrive together, one is with the session at a time; the others,
    # and the send among them, wait at the connection in their order.
    b = broker_factory("--catch-up-in-flight", "1", "--io-threads", "1", name="lane")
    alice = b.connect("la")
    rooms = [create_room(alice, ["lb"]) for _ in range(3)]
    for r in rooms:
        send_msg(alice, r, body="before")
    waits_before = H.metric(b, "parley_catch_up_waits_total")
    bob = RawWS.connect(b.port, token=b.token("lb"), subprotocols=["parley.v1.json"])
    assert bob.recv_frame().json()["t"] == "hello"
    requests = [
        {"t": "join", "id": 1, "room": rooms[0], "since": 0},
        {"t": "history", "id": 2, "room": rooms[1]},
        {"t": "join", "id": 3, "room": rooms[1], "since": 0},
        {"t": "send", "id": 4, "room": rooms[0], "cid": "after-1", "body": "after"},
        {"t": "rooms", "id": 5},
        {"t": "join", "id": 6, "room": rooms[2], "since": 0},
    ]
    bob.send_json_batch(requests)
    replies, events = _replies(bob, {r["id"] for r in requests}, H.scaled(20))
    assert all(r["t"] == "ok" for r in replies.values()), replies
    for i in (1, 3, 6):
        assert replies[i]["replayed"] == 1, replies[i]
    assert [m["body"] for m in replies[2]["messages"]] == ["before"], replies[2]
    assert replies[4]["seq"] == 2, replies[4]
    assert {r["room"] for r in replies[5]["rooms"]} >= set(rooms), replies[5]
    # The send waited behind the join of its room: bob, subscribed by then, gets it live.
    live = [e for e in events if e.get("t") == "msg" and e.get("body") == "after"]
    while not live:
        frame = bob.recv_frame(timeout=H.scaled(10)).json()
        if frame.get("t") == "msg" and frame.get("body") == "after":
            live.append(frame)
    assert live[0]["room"] == rooms[0] and live[0]["seq"] == 2, live
    assert H.metric(b, "parley_catch_up_waits_total") >= waits_before + 1
    bob.close()


def test_a_connection_that_closes_while_waiting_for_catch_up_gives_its_slots_back(
        broker_factory):
    b = broker_factory("--catch-up-in-flight", "1", "--io-threads", "1", name="lane-close")
    alice = b.connect("lc")
    room = create_room(alice, ["ld"])
    # Thirty joins arrive together, then the connection is gone: one was with its session,
    # the rest waited at the connection.
    for _ in range(3):
        gone = RawWS.connect(b.port, token=b.token("ld"), subprotocols=["parley.v1.json"])
        assert gone.recv_frame().json()["t"] == "hello"
        gone.send_json_batch([{"t": "join", "id": i, "room": room} for i in range(30)])
        gone.close()
    # Had the slot leaked, this join would wait for ever (and the lane has only one).
    for i in range(3):
        late = b.connect("ld")
        assert late.call("join", room=room)["room"] == room
        assert late.call("history", room=room)["t"] == "ok"
        late.close()
