"""WebSocket heartbeat (PROTOCOL §7) and graceful shutdown on SIGTERM (DESIGN)."""

import time

import pytest

import parley_harness as H
from parley_client import (ConnectionClosed, OP_PING, RawWS, create_room, send_msg)

HEARTBEAT_MS = 200


@pytest.fixture(scope="module")
def hb_broker(module_broker_factory):
    return module_broker_factory("--heartbeat-ms", HEARTBEAT_MS, name="heartbeat")


def test_hello_reports_heartbeat(hb_broker):
    c = hb_broker.connect("alice")
    assert c.hello["heartbeat_ms"] == HEARTBEAT_MS


def test_silent_client_is_disconnected(hb_broker):
    raw = RawWS.connect(hb_broker.port, token=hb_broker.token("silent"),
                        subprotocols=["parley.v1.json"])
    try:
        assert raw.status == 101
        hello = raw.recv_frame()
        assert hello.opcode == 1 and hello.json()["t"] == "hello"
        t0 = time.monotonic()
        how, code, frames = raw.read_until_close(timeout=H.scaled(2), answer_pings=False)
        elapsed = time.monotonic() - t0
        pings = [f for f in frames if f.opcode == OP_PING]
        assert pings, "no WebSocket ping within %.1f s" % elapsed
        assert how != "timeout", \
            "connection still open %.1f s after hello (pings seen: %d)" % (elapsed, len(pings))
    finally:
        raw.close()


def test_answering_client_stays_connected(hb_broker):
    c = hb_broker.connect("alice")
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        try:
            c.buffer.append(c.recv(min(0.1, max(deadline - time.monotonic(), 0.01))))
        except TimeoutError:
            pass
        except ConnectionClosed as e:
            pytest.fail("answering client closed with %s after %d pings" % (e.code, c.pings))
    assert c.pings >= 2, "only %d pings in 1.5 s at %d ms" % (c.pings, HEARTBEAT_MS)
    c.ping()


def test_answering_raw_client_stays_connected(hb_broker):
    raw = RawWS.connect(hb_broker.port, token=hb_broker.token("polite"),
                        subprotocols=["parley.v1.json"])
    try:
        assert raw.recv_frame().json()["t"] == "hello"
        how, code, frames = raw.read_until_close(timeout=1.5, answer_pings=True)
        assert how == "timeout", "closed (%s %s) although every ping was answered" % (how, code)
        assert sum(1 for f in frames if f.opcode == OP_PING) >= 2
        raw.send_json({"t": "ping", "id": "still-there"})
        deadline = time.monotonic() + H.scaled(5)
        while True:
            f = raw.recv_frame(max(deadline - time.monotonic(), 0.01))
            if f.opcode == OP_PING:
                raw.send_frame(0xA, f.payload)
                continue
            if f.opcode == 1 and f.json().get("t") == "pong":
                assert f.json()["id"] == "still-there"
                break
    finally:
        raw.close()


def test_sigterm_closes_clients_1001_and_exits_0(broker_factory):
    b = broker_factory(name="sigterm")
    alice = b.connect("alice", label="alice-json")
    bob = b.connect("bob", proto="msgpack", label="bob-msgpack")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    bob.call("join", room=room)
    ok = send_msg(alice, room, "acked before shutdown")

    b.terminate()
    alice.expect_close(1001, timeout=H.scaled(5))
    bob.expect_close(1001, timeout=H.scaled(5))
    rc = b.wait_exit(H.scaled(10))
    assert rc == 0, "exit code %s after SIGTERM" % rc

    # nothing acked was lost; the data dir is reusable
    b.start()
    c = b.connect("alice")
    h = c.call("history", room=room)
    assert [(m["seq"], m["cid"]) for m in h["messages"]] == [(ok["seq"], ok["cid"])]


def test_sigterm_right_after_the_listening_line_exits_0(broker_factory):
    # Once the broker has announced that it accepts connections, SIGTERM means a graceful
    # shutdown (exit 0), however early it comes.
    b = broker_factory(name="early-term", start=False)
    codes = []
    for _ in range(3):
        b.start()
        b.terminate()
        codes.append(b.wait_exit(H.scaled(10)))
    assert codes == [0, 0, 0], "exit codes after an early SIGTERM: %s" % codes
