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
