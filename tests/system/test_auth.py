"""Authentication (PROTOCOL §2): the three ways, the hello, refused tokens, the auth
deadline, refresh and expiry."""

import time

import pytest

import parley_harness as H
from parley_client import Client, RawWS, assert_error

NOW_TOLERANCE_MS = 120_000


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory(name="auth")


def check_hello(hello, user):
    assert hello["t"] == "hello"
    assert isinstance(hello.get("session"), str) and hello["session"], hello
    assert hello.get("user") == user, hello
    assert isinstance(hello.get("node"), str) and hello["node"], hello
    assert isinstance(hello.get("heartbeat_ms"), int) and hello["heartbeat_ms"] > 0, hello
    limits = hello.get("limits")
    assert isinstance(limits, dict), hello
    for k in ("frame", "body", "rooms"):
        assert isinstance(limits.get(k), int) and not isinstance(limits[k], bool) \
            and limits[k] > 0, hello
    rate = limits.get("rate")
    assert isinstance(rate, dict), hello
    for k in ("per_s", "burst"):
        assert isinstance(rate.get(k), (int, float)) and not isinstance(rate[k], bool) \
            and rate[k] > 0, hello
    st = hello.get("server_time")
    assert isinstance(st, int) and abs(st - time.time() * 1000) < NOW_TOLERANCE_MS, hello


# ----------------------------------------------------------------------------- the three ways

@pytest.mark.parametrize("how", ["header", "query", "frame"])
def test_auth_ways_get_hello(broker, how):
    c = Client.connect(broker, token=H.make_token("alice", name="Alice"), auth=how)
    check_hello(c.hello, "alice")
    c.ping()


def test_hello_reports_default_limits(broker):
    c = broker.connect("alice")
    h = c.hello
    # the defaults of PROTOCOL §1 (the module broker only changes the rate)
    assert h["limits"]["frame"] == 65536
    assert h["limits"]["body"] == 16384
    assert h["limits"]["rooms"] == 1000
    assert h["heartbeat_ms"] == 25000
    assert h["limits"]["rate"]["per_s"] == 100000
    assert h["limits"]["rate"]["burst"] == 100000


def test_sessions_are_distinct(broker):
    a = broker.connect("alice")
    b = broker.connect("alice")
    assert a.hello["session"] != b.hello["session"]


def test_sub_of_128_bytes_is_accepted(broker):
    sub = "u" * 128
    c = Client.connect(broker, token=H.make_token(sub))
    assert c.hello["user"] == sub


def test_token_expired_10s_ago_is_accepted_within_skew(broker):
    c = Client.connect(broker, token=H.make_token("alice", exp_in=-10))
    check_hello(c.hello, "alice")
    c.ping()  # and it is not closed right away


def test_nbf_10s_ahead_is_accepted_within_skew(broker):
    c = Client.connect(broker, token=H.make_token("alice", nbf_in=10))
    check_hello(c.hello, "alice")


# ----------------------------------------------------------------------------- refused tokens

BAD_TOKENS = {
    "wrong_secret": lambda: H.make_token("alice", secret="not-the-secret"),
    "alg_none": lambda: H.make_alg_none_token("alice"),
    "hs384": lambda: H.make_token("alice", alg="HS384"),
    "hs512": lambda: H.make_token("alice", alg="HS512"),
    "expired_60s": lambda: H.make_token("alice", exp_in=-60),
    "nbf_60s_ahead": lambda: H.make_token("alice", nbf_in=60),
    "missing_sub": lambda: H.make_token("alice", omit=("sub",)),
    "empty_sub": lambda: H.make_token(""),
    "sub_129_bytes": lambda: H.make_token("u" * 129),
    "missing_exp": lambda: H.make_token("alice", omit=("exp",)),
    "garbage": lambda: "not-a-jwt",
    "tampered": lambda: _tamper(H.make_token("alice")),
}


def _tamper(token):
    """Same signature, payload for another user."""
    import base64
    import json
    h, p, s = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["sub"] = "mallory"
    p2 = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return h + "." + p2 + "." + s


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_token_in_header_is_401(broker, kind):
    raw = RawWS.connect(broker.port, token=BAD_TOKENS[kind](), subprotocols=["parley.v1.json"])
    try:
        assert raw.status == 401, "expected 401, got %s %s" % (raw.status, raw.reason)
        assert not raw.upgraded
    finally:
        raw.close()


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_token_in_query_is_401(broker, kind):
    from urllib.parse import quote
    raw = RawWS.connect(broker.port, path="/ws?token=" + quote(BAD_TOKENS[kind](), safe=""),
                        subprotocols=["parley.v1.json"])
    try:
        assert raw.status == 401, "expected 401, got %s %s" % (raw.status, raw.reason)
    finally:
        raw.close()


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_token_in_first_frame_is_unauthorized_then_4001(broker, kind):
    c = Client.connect(broker, auth=None)
    c.send({"t": "auth", "token": BAD_TOKENS[kind]()})
    seen = c.expect_close(4001)
    errors = [m for m in seen if m.get("t") == "error"]
    assert errors, "no error before the close: %r" % seen
    assert_error(errors[0], "unauthorized")
    assert not [m for m in seen if m.get("t") == "hello"], seen


def test_bad_first_frame_auth_with_id_echoes_it(broker):
    c = Client.connect(broker, auth=None)
    c.send({"t": "auth", "id": 42, "token": H.make_token("alice", secret="wrong")})
    seen = c.expect_close(4001)
    errors = [m for m in seen if m.get("t") == "error"]
    assert errors and errors[0].get("id") == 42, seen
    assert_error(errors[0], "unauthorized")


def test_good_token_in_header_upgrades_with_101(broker):
    raw = RawWS.connect(broker.port, token=H.make_token("alice"), subprotocols=["parley.v1.json"])
    try:
        assert raw.status == 101
        hello = raw.recv_frame()
        assert hello.opcode == 1 and hello.json()["t"] == "hello"
    finally:
        raw.close()


def test_upgrade_with_a_token_sends_101_and_hello_in_one_write(broker):
    # The broker writes the 101 and the hello with one sendmsg (a system call less per
    # connection, which a reconnect storm multiplies); on loopback they then arrive as one
    # segment, so the read that completes the 101's headers already holds the whole hello.
    # Written separately, the 101 arrives alone: the hello follows after the session starts.
    for _ in range(3):
        raw = RawWS.connect(broker.port, token=H.make_token("alice"),
                            subprotocols=["parley.v1.json"])
        try:
            assert raw.status == 101
            first = bytes(raw.buf)  # what came with the 101's headers
            assert len(first) >= 4, "the 101 came without the hello: %r" % first
            n = first[1] & 0x7F
            whole = 2 + n if n < 126 else 4 + int.from_bytes(first[2:4], "big")
            assert len(first) == whole, "not exactly the hello with the 101: %r" % first
            hello = raw.recv_frame()
            assert hello.opcode == 1 and hello.json()["t"] == "hello"
        finally:
            raw.close()


# ----------------------------------------------------------------------------- before auth

def test_frames_before_auth_are_unauthorized_and_connection_stays(broker):
    c = Client.connect(broker, auth=None)
    r = c.request("ping")
    assert_error(r, "unauthorized")
    r = c.request("join", room="anything")
    assert_error(r, "unauthorized")
    c.send({"t": "ping"})  # no id: still an error
    e = c.next_event("error")
    assert_error(e, "unauthorized")
    assert "id" not in e or e["id"] is None
    # still open: authenticate now
    c.send({"t": "auth", "token": H.make_token("alice")})
    check_hello(c.expect_hello(), "alice")
    c.ping()


def test_auth_deadline_closes_4001(broker_factory):
    b = broker_factory("--auth-deadline-ms", "300", name="deadline")
    idle = Client.connect(b, auth=None)
    chatty = Client.connect(b, auth=None)
    assert_error(chatty.request("ping"), "unauthorized")
    t0 = time.monotonic()
    idle.expect_close(4001, timeout=H.scaled(3))
    chatty.expect_close(4001, timeout=H.scaled(3))
    assert time.monotonic() - t0 < H.scaled(3)


def test_auth_deadline_does_not_touch_authenticated(broker_factory):
    b = broker_factory("--auth-deadline-ms", "300", name="deadline2")
    by_frame = Client.connect(b, token=H.make_token("alice"), auth="frame")
    by_header = Client.connect(b, token=H.make_token("bob"))
    by_frame.no_event(within=0.9)
    by_header.no_event(within=0.1)
    by_frame.ping()
    by_header.ping()


# ----------------------------------------------------------------------------- refresh, expiry

def test_refresh_and_expiry(broker):
    # Tokens are valid until exp + 30 s skew: exp 26 s ago leaves ~4 s.
    expiring = Client.connect(broker, token=H.make_token("carol", exp_in=-26))
    refreshed = Client.connect(broker, token=H.make_token("carol", exp_in=-26))
    reply = refreshed.request("auth", token=H.make_token("carol", exp_in=3600))
    assert reply.get("t") == "ok", reply
    seen = expiring.expect_close(4001, timeout=H.scaled(12))
    errors = [m for m in seen if m.get("t") == "error"]
    assert errors, "no token_expired error before the close: %r" % seen
    assert errors[-1].get("code") == "token_expired", errors
    assert refreshed.is_open(), "the refreshed connection was closed"
