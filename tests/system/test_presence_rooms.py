"""Presence (PROTOCOL §6) and conversation lists (`rooms`, live `room` events) over real
sockets. The brokers run with a 300 ms presence grace period to keep the tests short."""

import time

import pytest

import parley_harness as H
from parley_client import create_room, send_msg

GRACE = 0.3


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory("--presence-grace-ms", "300", name="presence")


def presence_of(client, *users):
    reply = client.call("presence", users=list(users))
    return {p["user"]: p for p in reply["presence"]}


def test_presence_snapshot_subscription_and_grace(broker):
    watcher = broker.connect("w1")
    p = presence_of(watcher, "p1", "nobody-ever")
    assert p["p1"]["status"] == "offline" and p["nobody-ever"]["last_seen"] == 0, p
    assert p["nobody-ever"]["status"] == "offline", p

    tab1 = broker.connect("p1")
    ev = watcher.next_event("presence", user="p1")
    assert ev["status"] == "online" and isinstance(ev["last_seen"], int), ev
    assert presence_of(watcher, "p1")["p1"]["status"] == "online"

    tab2 = broker.connect("p1")  # a second tab: no new event
    tab1.close()  # one tab left: still online
    watcher.no_event("presence", user="p1", within=GRACE * 2)
    before = int(time.time() * 1000)
    tab2.close()
    # offline comes only after the grace period
    watcher.no_event("presence", user="p1", within=GRACE * 0.5)
    ev = watcher.next_event("presence", user="p1", timeout=H.scaled(3))
    assert ev["status"] == "offline", ev
    assert before - 1000 <= ev["last_seen"] <= int(time.time() * 1000) + 1000, ev
    p = presence_of(watcher, "p1")["p1"]
    assert p["status"] == "offline" and p["last_seen"] == ev["last_seen"], p


def test_a_reload_within_the_grace_period_does_not_flap(broker):
    watcher = broker.connect("w2")
    first = broker.connect("p2")
    presence_of(watcher, "p2")
    first.close()
    second = broker.connect("p2")  # the page reloaded
    watcher.no_event("presence", user="p2", within=GRACE * 3)
    assert presence_of(watcher, "p2")["p2"]["status"] == "online"
    second.close()


def test_last_seen_survives_a_restart(broker_factory):
    b = broker_factory("--presence-grace-ms", "100", name="lastseen")
    watcher = b.connect("w3")
    presence_of(watcher, "p3")
    b.connect("p3").close()
    seen = watcher.next_event("presence", user="p3", status="offline",
                              timeout=H.scaled(3))["last_seen"]
    b.restart()
    watcher = b.connect("w3")
    p = presence_of(watcher, "p3")["p3"]
    assert p == {"user": "p3", "status": "offline", "last_seen": seen}, p


def test_conversation_list_orders_counts_and_shows_the_last_message(broker):
    alice, bob = broker.connect("ca"), broker.connect("cb")
    r1 = create_room(alice, ["cb"], title="First")
    r2 = create_room(alice, ["cb"], title="Second")
    send_msg(alice, r1, body="one")
    send_msg(alice, r1, body="two")
    last = send_msg(alice, r2, body="latest")
    own = send_msg(bob, r1, body="bob's own")  # not unread for bob; r1 is now the latest room
    rooms = bob.call("rooms")["rooms"]
    # Most recent first, by the latest event's ts in milliseconds: r1 unless both sends
    # fell in the same millisecond, and then room-id order (PROTOCOL, `rooms`).
    assert own["ts"] >= last["ts"]
    expected = [room for _, room in sorted([(-own["ts"], r1), (-last["ts"], r2)])]
    assert [r["room"] for r in rooms[:2]] == expected, rooms
    by_id = {r["room"]: r for r in rooms}
    assert by_id[r1]["unread"] == 2 and by_id[r1]["read"] == 0, by_id[r1]
    assert by_id[r1]["title"] == "First" and by_id[r1]["head"] == 3, by_id[r1]
    assert by_id[r2]["unread"] == 1, by_id[r2]
    assert by_id[r2]["last"]["seq"] == last["seq"] and by_id[r2]["last"]["body"] == "latest"
    assert by_id[r1]["last"]["from"] == "cb", by_id[r1]
    bob.call("read", room=r1, seq=2)
    rooms = {r["room"]: r for r in bob.call("rooms")["rooms"]}
    assert rooms[r1]["unread"] == 0 and rooms[r1]["read"] == 2, rooms[r1]
    assert len(bob.call("rooms", limit=1)["rooms"]) == 1
    bob.fail("rooms", "bad_request", limit=0)


def test_room_events_reach_members_who_did_not_join_and_are_coalesced(broker):
    alice, bob = broker.connect("ra"), broker.connect("rb")
    room = create_room(alice, ["rb"])
    # The new room reaches bob's list at once, before any message (bob never joined).
    ev = bob.next_event("room", room=room, timeout=H.scaled(3))
    assert ev["head"] == 0 and ev["unread"] == 0 and ev["last"] is None, ev
    first = send_msg(alice, room, body="hello")
    ev = bob.next_event("room", room=room, timeout=H.scaled(3))
    assert ev["head"] == first["seq"] and ev["unread"] == 1, ev
    assert ev["last"]["body"] == "hello" and ev["last"]["seq"] == first["seq"], ev
    bob.drain(0.2)
    bob.take("room")
    # A burst: at most one `room` event a second per room, the latest state wins.
    t0 = time.monotonic()
    for i in range(10):
        last = send_msg(alice, room, body="burst %d" % i)
    deadline = time.monotonic() + H.scaled(4)
    seen = []
    while time.monotonic() < deadline:
        ev = bob.next_event("room", room=room, timeout=H.scaled(3))
        seen.append((time.monotonic() - t0, ev))
        if ev["head"] == last["seq"]:
            break
    assert seen and seen[-1][1]["head"] == last["seq"], seen
    assert seen[-1][1]["unread"] == 11, seen[-1]
    assert len(seen) <= 3, [s[1]["head"] for s in seen]
    for (ta, _), (tb, _) in zip(seen, seen[1:]):
        assert tb - ta >= 0.8, "two room events within a second: %s" % seen


def test_a_read_marker_updates_the_readers_other_sessions_only(broker):
    alice, bob_tab1, bob_tab2 = broker.connect("ka"), broker.connect("kb"), broker.connect("kb")
    room = create_room(alice, ["kb"])
    sent = send_msg(alice, room, body="read me")
    ev = bob_tab2.next_event("room", room=room, head=sent["seq"], timeout=H.scaled(3))
    assert ev["unread"] == 1, ev
    alice.next_event("room", room=room, head=sent["seq"], timeout=H.scaled(3))
    alice.take("room")
    bob_tab2.take("room")  # the create's event (head 0), buffered while waiting
    bob_tab1.call("join", room=room)
    bob_tab1.call("read", room=room, seq=sent["seq"])
    # Bob's other tab sees the unread count fall without joining the room.
    ev = bob_tab2.next_event("room", room=room, unread=0, timeout=H.scaled(3))
    assert ev["head"] == sent["seq"], ev
    # Alice's list is not touched by bob's marker (she gets the `read` event if joined).
    alice.drain(0.5)
    assert not alice.take("room", room=room), "alice got a room event for bob's marker"
