"""GET /metrics: Prometheus text format, and the counters move with what happens."""

import re

import pytest

import parley_harness as H
from parley_client import create_room, send_msg


@pytest.fixture
def broker(broker_factory):
    return broker_factory("--rate-per-s", "1", "--rate-burst", "3", name="metrics")


def scrape(broker):
    status, headers, body = H.http_request(broker, "GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain"), headers
    values = {}
    for line in body.decode().splitlines():
        if line.startswith("#") or not line:
            continue
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values, body.decode()


def test_metrics_follow_connections_messages_and_limits(broker):
    before, text = scrape(broker)
    for name in ("parley_connections", "parley_deliveries_total", "parley_requests_total",
                 "parley_events_committed_total", "parley_writer_backlog"):
        assert name in before, name
    assert "# TYPE parley_ack_latency_seconds histogram" in text
    assert 'parley_delivery_latency_seconds_bucket{le="+Inf"}' in text

    alice, bob = broker.connect("ma"), broker.connect("mb")
    room = create_room(alice, ["mb"])
    bob.call("join", room=room)
    sent = send_msg(alice, room, body="counted")
    bob.next_event("msg", seq=sent["seq"])
    after, _ = scrape(broker)
    assert after["parley_connections"] == before["parley_connections"] + 2, after
    assert after["parley_sessions"] >= 2, after
    assert after["parley_events_committed_total"] >= before["parley_events_committed_total"] + 1
    assert after["parley_deliveries_total"] >= before["parley_deliveries_total"] + 1
    assert after['parley_ack_latency_seconds_bucket{le="+Inf"}'] >= 1
    assert after['parley_delivery_latency_seconds_bucket{le="+Inf"}'] >= 1
    # create, join and send were WebSocket requests, each timed from its frame to its session
    assert after['parley_request_queue_seconds_count'] >= \
        before.get('parley_request_queue_seconds_count', 0) + 3
    assert after["parley_writer_batches_total"] >= 1
    assert after["parley_rooms_active"] >= 1

    # The per-user rate limit (3 at once, then 1 a second) counts its refusals.
    refused = 0
    for i in range(6):
        reply = alice.request("typing", room=room, on=True)
        refused += reply.get("code") == "rate_limited"
    assert refused >= 1
    limited, _ = scrape(broker)
    assert limited["parley_rate_limited_total"] >= before["parley_rate_limited_total"] + refused

    alice.send_text("not json")
    alice.next_event("error")
    status, _, _ = H.http_request(broker, "GET", "/api/rooms",
                                  headers={"Authorization": "Bearer nope"})
    assert status == 401
    last, _ = scrape(broker)
    assert last["parley_bad_frames_total"] >= before["parley_bad_frames_total"] + 1
    assert last["parley_auth_failures_total"] >= before["parley_auth_failures_total"] + 1
    bob.close()
    H.wait_until(lambda: scrape(broker)[0]["parley_connections"] ==
                 before["parley_connections"] + 1, H.scaled(5), what="connection gauge down")
