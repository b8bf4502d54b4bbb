"""The HTTP API (PROTOCOL §8): the client API with a Bearer token and the server API with
an API key. An HTTP request is a request like a WebSocket one: same checks, same
idempotency, stored before it is acknowledged, delivered live."""

import json

import pytest

import parley_harness as H
from parley_client import create_room, new_cid

KEY = "server-key-for-tests"


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory("--api-key", KEY, name="httpapi")


def call(broker, method, path, body=None, token=None, key=None):
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if key:
        headers["Authorization"] = "ApiKey " + key
    status, _, payload = H.http_request(broker, method, path, body=body, headers=headers)
    return status, json.loads(payload) if payload else None


def test_client_api_create_send_history_read_and_rooms(broker):
    alice = broker.token("ha")
    status, body = call(broker, "POST", "/api/rooms", {"members": ["hb"], "title": "HTTP"},
                        token=alice)
    assert status == 200 and body["room"], body
    room = body["room"]
    bob = broker.connect("hb")
    bob.call("join", room=room)
    cid = new_cid()
    status, sent = call(broker, "POST", "/api/rooms/%s/messages" % room,
                        {"cid": cid, "body": "over http", "meta": {"k": 1}}, token=alice)
    assert status == 200 and sent["room"] == room and sent["seq"] >= 1, sent
    ev = bob.next_event("msg", seq=sent["seq"])  # delivered live to WebSocket subscribers
    assert ev["body"] == "over http" and ev["cid"] == cid and ev["meta"] == {"k": 1}, ev
    # Same cid again, over HTTP or over WebSocket: the original seq, nothing new.
    status, again = call(broker, "POST", "/api/rooms/%s/messages" % room,
                         {"cid": cid, "body": "over http"}, token=alice)
    assert status == 200 and again["seq"] == sent["seq"] and again["ts"] == sent["ts"], again
    ws_alice = broker.connect("ha")
    ok = ws_alice.call("send", room=room, cid=cid, body="over http")
    assert ok["seq"] == sent["seq"], ok
    bob.no_event("msg", seq=sent["seq"] + 1)

    status, page = call(broker, "GET", "/api/rooms/%s/messages?limit=10" % room, token=alice)
    assert status == 200 and page["more"] is False, page
    assert [m["cid"] for m in page["messages"]] == [cid], page
    status, body = call(broker, "POST", "/api/rooms/%s/read" % room, {"seq": sent["seq"]},
                        token=broker.token("hb"))
    assert status == 200, body
    status, rooms = call(broker, "GET", "/api/rooms", token=broker.token("hb"))
    line = [r for r in rooms["rooms"] if r["room"] == room][0]
    assert line["read"] == sent["seq"] and line["unread"] == 0, line


def test_client_api_errors(broker):
    status, body = call(broker, "GET", "/api/rooms")
    assert status == 401 and body["error"]["code"] == "unauthorized", body
    status, body = call(broker, "GET", "/api/rooms", token="not-a-jwt")
    assert status == 401, body
    alice = broker.token("he")
    status, body = call(broker, "POST", "/api/rooms/none-such/messages",
                        {"cid": "c", "body": "x"}, token=alice)
    assert status == 404 and body["error"]["code"] == "not_found", body
    room = create_room(broker.connect("hf"), [])
    status, body = call(broker, "POST", "/api/rooms/%s/messages" % room,
                        {"cid": "c", "body": "x"}, token=alice)
    assert status == 403 and body["error"]["code"] == "forbidden", body
    status, body = call(broker, "POST", "/api/rooms/%s/messages" % room, {"body": "no cid"},
                        token=broker.token("hf"))
    assert status == 400 and body["error"]["code"] == "bad_request", body
    status, body = call(broker, "POST", "/api/rooms", "not json", token=alice)
    assert status == 400, body
    status, body = call(broker, "GET", "/api/nothing-here", token=alice)
    assert status == 404, body


def test_server_api_rooms_members_publish_presence(broker):
    status, body = call(broker, "POST", "/api/server/rooms",
                        {"members": ["sa", "sb"], "admins": ["sa"], "title": "Support"},
                        key=KEY)
    assert status == 200, body
    room = body["room"]
    sa = broker.connect("sa")
    sa.call("join", room=room)
    # Members joined or left by the backend: member events with their own seq.
    status, added = call(broker, "PUT", "/api/server/rooms/%s/members/sc" % room, key=KEY)
    assert status == 200 and added["seq"] >= 1, added
    ev = sa.next_event("member", seq=added["seq"])
    assert ev["user"] == "sc" and ev["action"] == "added", ev
    status, body = call(broker, "PUT", "/api/server/rooms/%s/members/sc" % room, key=KEY)
    assert status == 409, body
    status, removed = call(broker, "DELETE", "/api/server/rooms/%s/members/sb" % room, key=KEY)
    assert status == 200 and removed["seq"] == added["seq"] + 1, removed
    # Publish as anyone, member or not (a system sender).
    status, sent = call(broker, "POST", "/api/server/rooms/%s/messages" % room,
                        {"from": "system", "cid": new_cid(), "body": "welcome"}, key=KEY)
    assert status == 200, sent
    ev = sa.next_event("msg", seq=sent["seq"])
    assert ev["from"] == "system" and ev["body"] == "welcome", ev
    status, body = call(broker, "GET", "/api/server/presence?users=sa,nobody", key=KEY)
    assert status == 200, body
    assert {p["user"]: p["status"] for p in body["presence"]} == {"sa": "online",
                                                                  "nobody": "offline"}


def test_server_api_disconnect_closes_with_4003(broker):
    victim = broker.connect("sd")
    second = broker.connect("sd")
    status, body = call(broker, "POST", "/api/server/users/sd/disconnect", key=KEY)
    assert status == 200 and body["closed"] == 2, body
    victim.expect_close(4003)
    second.expect_close(4003)


def test_server_api_disconnect_reaches_a_connection_right_after_its_hello(broker):
    # Once a client has its hello, its connection counts: the backend's disconnect right
    # after must close it (the session's presence entry was once queued too late for that).
    for i in range(40):
        user = "quick%d" % i
        c = broker.connect(user)
        status, body = call(broker, "POST", "/api/server/users/%s/disconnect" % user, key=KEY)
        assert status == 200 and body["closed"] == 1, (i, body)
        c.expect_close(4003)


def test_server_api_needs_a_valid_key(broker):
    status, body = call(broker, "POST", "/api/server/rooms", {"members": []})
    assert status == 401, body
    status, body = call(broker, "POST", "/api/server/rooms", {"members": []}, key="wrong")
    assert status == 401, body
    status, body = call(broker, "POST", "/api/server/users/x/disconnect", key="wrong")
    assert status == 401, body
    # A client token is not an API key.
    status, body = call(broker, "POST", "/api/server/rooms", {"members": []},
                        token=broker.token("sa"))
    assert status == 401, body
