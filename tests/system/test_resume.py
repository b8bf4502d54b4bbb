"""Resume (PROTOCOL §4 `join` with `since`, §5.5): replay before the join `ok`, exactly
once and in order, `gap` beyond the replay limit, and no gap or duplicate when live
traffic races the replay."""

import threading
import time

import pytest

import parley_harness as H
from parley_client import check_join_ok, check_msg, create_room, send_msg


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory(name="resume")


@pytest.fixture(scope="module")
def small_replay_broker(module_broker_factory):
    return module_broker_factory("--replay-max", "5", name="replay5")


def setup_room(broker):
    alice = broker.connect("alice", label="alice")
    room = create_room(alice, ["bob"])
    base = check_join_ok(alice.call("join", room=room), room)["head"]
    return alice, room, base


def replayed_msgs(client, room):
    """The msg events of `room` that arrived before the last reply; removes them from the
    buffer."""
    pre = [m for m in client.pre_reply if m.get("t") == "msg" and m.get("room") == room]
    taken = client.take("msg", room=room)
    assert taken == pre, "msg events of the room arrived before the join but not during it"
    return pre


def test_resume_gets_exactly_the_missed_events_then_live(broker):
    alice, room, base = setup_room(broker)
    bob = broker.connect("bob", label="bob")
    check_join_ok(bob.call("join", room=room), room)
    first = send_msg(alice, room, "before the disconnect")
    last_seen = bob.next_event("msg", room=room, seq=first["seq"])["seq"]
    bob.close()

    missed = [send_msg(alice, room, "missed %d" % i) for i in range(3)]

    bob = broker.connect("bob", label="bob-again")
    ok = bob.call("join", room=room, since=last_seen)
    check_join_ok(ok, room, replayed=3, gap=False)
    assert ok["head"] == missed[-1]["seq"]
    got = replayed_msgs(bob, room)
    assert [m["seq"] for m in got] == [o["seq"] for o in missed]
    for m, o, i in zip(got, missed, range(3)):
        check_msg(m, room=room, seq=o["seq"], sender="alice", body="missed %d" % i,
                  cid=o["cid"], ts=o["ts"])

    live = send_msg(alice, room, "live")
    m = bob.next_event("msg", room=room)
    check_msg(m, room=room, seq=live["seq"], sender="alice", body="live", cid=live["cid"])
    assert live["seq"] == missed[-1]["seq"] + 1
    bob.no_event("msg", room=room)


def test_join_without_since_replays_nothing(broker):
    alice, room, base = setup_room(broker)
    oks = [send_msg(alice, room, "old %d" % i) for i in range(3)]
    bob = broker.connect("bob")
    ok = check_join_ok(bob.call("join", room=room), room, replayed=0, gap=False)
    assert ok["head"] == oks[-1]["seq"]
    assert replayed_msgs(bob, room) == []
    bob.no_event("msg", room=room)


@pytest.mark.parametrize("ahead", [0, 1, 50])
def test_join_since_at_or_beyond_head_replays_nothing(broker, ahead):
    alice, room, base = setup_room(broker)
    oks = [send_msg(alice, room, "old %d" % i) for i in range(2)]
    head = oks[-1]["seq"]
    bob = broker.connect("bob")
    ok = check_join_ok(bob.call("join", room=room, since=head + ahead), room, replayed=0,
                       gap=False)
    assert ok["head"] == head
    assert replayed_msgs(bob, room) == []
    live = send_msg(alice, room, "live")
    assert bob.next_event("msg", room=room)["seq"] == live["seq"]


def test_resume_of_several_rooms_keeps_each_in_order(broker):
    alice = broker.connect("alice")
    rooms = [create_room(alice, ["bob"]) for _ in range(3)]
    bases = {r: alice.call("join", room=r)["head"] for r in rooms}
    sent = {r: [] for r in rooms}
    for i in range(4):
        for r in rooms:
            sent[r].append(send_msg(alice, r, "%s %d" % (r, i))["seq"])
    bob = broker.connect("bob")
    for r in rooms:
        check_join_ok(bob.call("join", room=r, since=bases[r]), r, replayed=4)
        assert [m["seq"] for m in replayed_msgs(bob, r)] == sent[r]


# ----------------------------------------------------------------------------- replay limit

def test_replay_limit_boundary_and_gap(small_replay_broker):
    b = small_replay_broker
    alice, room, base = setup_room(b)
    oks = [send_msg(alice, room, "m%d" % i) for i in range(8)]
    head = oks[-1]["seq"]

    # exactly replay-max behind: replayed in full
    bob = b.connect("bob", label="bob-5")
    ok = check_join_ok(bob.call("join", room=room, since=head - 5), room, replayed=5, gap=False)
    assert [m["seq"] for m in replayed_msgs(bob, room)] == list(range(head - 4, head + 1))
    bob.close()

    # one more: nothing replayed, gap
    for since in (head - 6, base):
        bob = b.connect("bob", label="bob-gap")
        ok = check_join_ok(bob.call("join", room=room, since=since), room, replayed=0, gap=True)
        assert ok["head"] == head
        assert replayed_msgs(bob, room) == []
        # still subscribed: live events flow, history fills the gap
        live = send_msg(alice, room, "after gap %d" % since)
        assert bob.next_event("msg", room=room)["seq"] == live["seq"]
        head = live["seq"]
        page = bob.call("history", room=room, before=live["seq"], limit=100)
        assert [m["seq"] for m in page["messages"]] == list(range(base + 1, live["seq"]))
        bob.close()


# ----------------------------------------------------------------------------- room reload

def test_resume_and_retry_after_the_room_went_idle(broker_factory):
    # A room whose actor stopped for idleness must come back with the same log, read
    # markers and idempotency: nothing in the contract depends on it being in memory.
    b = broker_factory("--room-idle-timeout-ms", "100", name="idle")
    alice, room, base = setup_room(b)
    bob = b.connect("bob", label="bob")
    bob.call("join", room=room)
    oks = [send_msg(alice, room, "m%d" % i) for i in range(4)]
    bob.call("read", room=room, seq=oks[1]["seq"])
    alice.next_event("read", room=room, user="bob")
    alice.close()
    bob.close()
    time.sleep(0.6)  # no observable event: give the idle timeout (100 ms) time to fire

    bob = b.connect("bob", label="bob-after-idle")
    ok = check_join_ok(bob.call("join", room=room, since=oks[1]["seq"]), room, replayed=2)
    assert ok["head"] == oks[-1]["seq"]
    assert ok["reads"].get("bob") == oks[1]["seq"]
    got = replayed_msgs(bob, room)
    for m, o in zip(got, oks[2:]):
        check_msg(m, room=room, seq=o["seq"], sender="alice", cid=o["cid"], ts=o["ts"])
    assert len(got) == 2

    bob.close()
    time.sleep(0.6)
    alice = b.connect("alice", label="alice-after-idle")
    alice.call("join", room=room)
    again = alice.call("send", room=room, cid=oks[0]["cid"], body="m0")
    assert (again["seq"], again["ts"]) == (oks[0]["seq"], oks[0]["ts"])
    nxt = send_msg(alice, room, "next")
    assert nxt["seq"] == oks[-1]["seq"] + 1
    h = alice.call("history", room=room)
    assert [m["seq"] for m in h["messages"]] == list(range(base + 1, nxt["seq"] + 1))


# ----------------------------------------------------------------------------- races

def test_resume_while_messages_are_being_sent(broker):
    alice, room, base = setup_room(broker)
    bob = broker.connect("bob", label="bob")
    check_join_ok(bob.call("join", room=room), room)
    first = send_msg(alice, room, "first")
    last_seen = bob.next_event("msg", room=room, seq=first["seq"])["seq"]
    bob.close()

    total = 50
    acks = []
    errors = []
    some_sent = threading.Event()
    sender = broker.connect("alice", label="alice-sender")
    sender.call("join", room=room)

    def send_many():
        try:
            for i in range(total):
                acks.append(send_msg(sender, room, "burst %d" % i))
                if len(acks) == 10:
                    some_sent.set()
        except BaseException as e:  # reported by the main thread
            errors.append(e)
        finally:
            some_sent.set()

    t = threading.Thread(target=send_many, name="alice-sends", daemon=True)
    t.start()
    try:
        assert some_sent.wait(H.scaled(20)), "sender made no progress"
        bob = broker.connect("bob", label="bob-resumed")
        ok = bob.call("join", room=room, since=last_seen)
        check_join_ok(ok, room, replayed=ok.get("replayed"), gap=False)
        replayed = replayed_msgs(bob, room)
        assert ok["replayed"] == len(replayed), (ok, [m["seq"] for m in replayed])
        assert ok["head"] >= last_seen + len(replayed)
        stream = list(replayed)
        final = last_seen + total
        deadline = time.monotonic() + H.scaled(30)
        while (not stream or stream[-1]["seq"] < final) and time.monotonic() < deadline:
            stream.append(bob.next_event("msg", room=room, timeout=H.scaled(10)))
    finally:
        t.join(H.scaled(30))
    assert not errors, errors
    assert len(acks) == total
    seqs = [m["seq"] for m in stream]
    assert seqs == list(range(last_seen + 1, last_seen + total + 1)), \
        "replayed %d, stream %s" % (ok["replayed"], seqs)
    by_seq = {a["seq"]: a for a in acks}
    for m in stream:
        check_msg(m, room=room, seq=m["seq"], sender="alice", cid=by_seq[m["seq"]]["cid"],
                  ts=by_seq[m["seq"]]["ts"])
    bob.no_event("msg", room=room)
