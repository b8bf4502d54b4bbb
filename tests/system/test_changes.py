"""Message lifecycle and membership over real sockets (PROTOCOL §4): edit (author only),
delete (author or room admin), react (toggle), reply_to and meta; invite and remove with
`member` events. Each change is an event with its own seq, delivered live, replayed on
resume, and `history` shows the current state."""

import pytest

from parley_client import assert_error, create_room, history_all, send_msg


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory(name="changes")


def room_of(broker, *users, admin="alice"):
    """A room created by `admin` with `users`, every one of them joined; their clients."""
    clients = {u: broker.connect(u) for u in (admin,) + users}
    room = create_room(clients[admin], list(users))
    for c in clients.values():
        c.call("join", room=room)
    return room, clients


def test_edit_delete_react_are_events_and_history_shows_current_state(broker):
    room, c = room_of(broker, "bob")
    alice, bob = c["alice"], c["bob"]
    m1 = send_msg(alice, room, body="helo")
    m2 = send_msg(alice, room, body="to be deleted")
    for cl in (alice, bob):
        cl.next_event("msg", seq=m1["seq"])
        cl.next_event("msg", seq=m2["seq"])

    edit = alice.call("edit", room=room, target=m1["seq"], body="hello")
    assert edit["seq"] == m2["seq"] + 1, edit
    ev = bob.next_event("edit", seq=edit["seq"])
    assert ev["room"] == room and ev["target"] == m1["seq"] and ev["body"] == "hello", ev
    assert ev["from"] == "alice" and isinstance(ev["ts"], int), ev

    react = bob.call("react", room=room, target=m1["seq"], emoji="👍", on=True)
    ev = alice.next_event("react", seq=react["seq"])
    assert ev["emoji"] == "👍" and ev["on"] is True and ev["from"] == "bob", ev
    alice.call("react", room=room, target=m1["seq"], emoji="👍", on=True)
    alice.call("react", room=room, target=m1["seq"], emoji="🎉", on=True)
    alice.call("react", room=room, target=m1["seq"], emoji="🎉", on=False)

    delete = alice.call("delete", room=room, target=m2["seq"])
    ev = bob.next_event("delete", seq=delete["seq"])
    assert ev["target"] == m2["seq"] and ev["from"] == "alice", ev

    msgs = {m["seq"]: m for m in history_all(bob, room)}
    assert set(msgs) == {m1["seq"], m2["seq"]}, msgs  # history lists messages only
    first = msgs[m1["seq"]]
    assert first["body"] == "hello" and isinstance(first.get("edited_ts"), int), first
    assert first["deleted"] is False, first
    assert first["reactions"] == {"👍": ["bob", "alice"]}, first
    second = msgs[m2["seq"]]
    assert second["deleted"] is True and second["body"] == "", second


def test_permissions_of_changes(broker):
    room, c = room_of(broker, "bob", "carol")
    alice, bob, carol = c["alice"], c["bob"], c["carol"]
    m = send_msg(bob, room, body="bob's")
    carol.fail("edit", "forbidden", room=room, target=m["seq"], body="not mine")
    carol.fail("delete", "forbidden", room=room, target=m["seq"])
    alice.call("delete", room=room, target=m["seq"])  # the creator is the room's admin
    bob.fail("edit", "not_found", room=room, target=m["seq"], body="too late")
    bob.fail("react", "not_found", room=room, target=m["seq"], emoji="x", on=True)
    bob.fail("edit", "not_found", room=room, target=10_000, body="nothing there")
    outsider = broker.connect("mallory")
    outsider.fail("react", "forbidden", room=room, target=m["seq"], emoji="x", on=True)


def test_reply_to_and_meta_travel_and_persist(broker):
    room, c = room_of(broker, "bob")
    alice, bob = c["alice"], c["bob"]
    first = send_msg(alice, room, body="question")
    meta = {"mentions": ["bob"], "attachments": [{"url": "https://x/y.png", "size": 123}]}
    reply = send_msg(bob, room, body="answer", reply_to=first["seq"], meta=meta)
    ev = alice.next_event("msg", seq=reply["seq"])
    assert ev["reply_to"] == first["seq"] and ev["meta"] == meta, ev
    stored = [m for m in history_all(alice, room) if m["seq"] == reply["seq"]][0]
    assert stored["reply_to"] == first["seq"] and stored["meta"] == meta, stored


def test_changes_are_replayed_on_resume(broker):
    room, c = room_of(broker, "bob")
    alice, bob = c["alice"], c["bob"]
    m = send_msg(alice, room, body="v1")
    bob.next_event("msg", seq=m["seq"])
    bob.close()
    edit = alice.call("edit", room=room, target=m["seq"], body="v2")
    react = alice.call("react", room=room, target=m["seq"], emoji="✅", on=True)
    bob = broker.connect("bob")
    ok = bob.call("join", room=room, since=m["seq"])
    assert ok["replayed"] == 2, ok
    got = [x for x in bob.pre_reply if x.get("room") == room]
    assert [(x["t"], x["seq"]) for x in got] == [("edit", edit["seq"]), ("react", react["seq"])]


def test_invite_and_remove_change_who_may_read(broker):
    room, c = room_of(broker, "bob")
    alice, bob = c["alice"], c["bob"]
    dave = broker.connect("dave")
    dave.fail("join", "forbidden", room=room)

    inv = bob.call("invite", room=room, user="dave")  # any member may invite
    for cl in (alice, bob):
        ev = cl.next_event("member", seq=inv["seq"])
        assert ev["user"] == "dave" and ev["action"] == "added" and ev["from"] == "bob", ev
    bob.fail("invite", "conflict", room=room, user="dave")
    dave.call("join", room=room)
    send_msg(dave, room, body="hi all")

    bob.fail("remove", "forbidden", room=room, user="dave")  # only admins remove others
    rem = alice.call("remove", room=room, user="dave")
    ev = dave.next_event("member", seq=rem["seq"])  # the removed user sees it ...
    assert ev["user"] == "dave" and ev["action"] == "removed", ev
    after = send_msg(alice, room, body="after dave left")
    dave.no_event("msg", seq=after["seq"])  # ... and nothing after it
    dave.fail("send", "forbidden", room=room, cid="x", body="still here?")
    dave.fail("history", "forbidden", room=room)
    alice.fail("remove", "not_found", room=room, user="dave")
    bob.call("remove", room=room, user="bob")  # anyone may leave for good
    bob.fail("join", "forbidden", room=room)


def test_invalid_change_requests(broker):
    room, c = room_of(broker, "bob")
    alice = c["alice"]
    alice.fail("edit", "bad_request", room=room, target=0, body="x")
    alice.fail("react", "bad_request", room=room, target=1, emoji="", on=True)
    alice.fail("react", "bad_request", room=room, target=1, emoji="x" * 33, on=True)
    alice.fail("invite", "bad_request", room=room, user="")
    reply = alice.request("delete", room=room, target="1")
    assert_error(reply, "bad_request")
