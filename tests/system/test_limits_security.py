"""Security and limits: the Origin allow-list (http.allowed_origins), connections per user
and per IP (limits.connections_per_user / _ip), and RS256/ES256 tokens verified with a
configured public key (auth.jwt_alg, auth.jwt_public_key_file). PROTOCOL §2 and §8;
docs/protocol.md section 9 and docs/operations.md "Security" describe the behaviour.

Key pairs are generated here with Python's `cryptography` (Debian python3-cryptography,
which PyJWT also needs to sign RS256/ES256).
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import parley_harness as H
from parley_client import Client, RawWS, assert_error

JSON = ["parley.v1.json"]


@pytest.fixture
def raws():
    """RawWS connections a test opens; closed at its end."""
    opened = []
    yield opened
    for r in opened:
        r.close()


def upgrade(broker, raws, token=None, *, query=False, origin=None):
    """A raw upgrade request on /ws: the token in the Authorization header (or, query=True,
    in ?token=), an Origin header when given. Upgraded connections go into `raws`."""
    path = "/ws"
    if token is not None and query:
        path += "?token=" + quote(token, safe="")
    headers = {"Origin": origin} if origin is not None else {}
    raw = RawWS.connect(broker.port, path=path, token=None if query else token,
                        headers=headers, subprotocols=JSON)
    if raw.upgraded:
        raws.append(raw)
    return raw


def assert_http_error(raw, status, code):
    assert raw.status == status, "expected HTTP %s, got %s %s: %r" % (
        status, raw.status, raw.reason, raw.body)
    assert not raw.upgraded
    doc = json.loads(raw.body)
    assert isinstance(doc.get("error"), dict), doc
    assert doc["error"].get("code") == code, doc
    assert isinstance(doc["error"].get("message"), str) and doc["error"]["message"], doc
    return doc


def expect_hello(raw, user):
    f = raw.recv_frame()
    assert f.opcode == 1, f
    msg = f.json()
    assert msg.get("t") == "hello" and msg.get("user") == user, msg
    return msg


def frame_auth(raw, token):
    """Sends the `auth` frame on a raw connection; returns the first message back."""
    raw.send_json({"t": "auth", "id": 1, "token": token})
    return raw.recv_frame().json()


def ip_limited(raw):
    """Asserts the per-IP refusal: 429, rate_limited, naming the setting."""
    doc = assert_http_error(raw, 429, "rate_limited")
    assert "connections_per_ip" in doc["error"]["message"], doc
    return doc


def upgrade_eventually(broker, raws, token, timeout=None):
    """Upgrades with a header token, retrying while the broker still answers 429 (a closed
    connection gives its slots back when the server has torn it down, a moment after the
    client saw the close)."""
    deadline = time.monotonic() + (timeout or H.scaled(5))
    while True:
        raw = upgrade(broker, raws, token)
        if raw.upgraded or time.monotonic() > deadline:
            return raw
        assert raw.status == 429, (raw.status, raw.body)
        time.sleep(0.05)


# ----------------------------------------------------------------------------- Origin

ALLOWED = ("https://app.example", "http://localhost:3000")


@pytest.fixture(scope="module")
def origin_broker(module_broker_factory):
    args = []
    for o in ALLOWED:
        args += ["--allowed-origin", o]
    return module_broker_factory(*args, name="origins")


@pytest.mark.parametrize("origin", ALLOWED + ("HTTPS://App.Example",))
def test_listed_origin_upgrades(origin_broker, raws, origin):
    raw = upgrade(origin_broker, raws, H.make_token("alice"), origin=origin)
    assert raw.status == 101, (raw.status, raw.body)
    expect_hello(raw, "alice")


@pytest.mark.parametrize("origin", [
    "https://evil.example", "http://app.example", "https://app.example:8443",
    "https://app.example.evil.example", "https://sub.app.example", "http://localhost:3001",
    "http://localhost", "null", "", "https://app.example/"])
def test_other_origin_is_403_without_upgrade(origin_broker, raws, origin):
    # With a good token in the header, and without a token (the first-frame path).
    assert_http_error(upgrade(origin_broker, raws, H.make_token("alice"), origin=origin),
                      403, "forbidden")
    assert_http_error(upgrade(origin_broker, raws, None, origin=origin), 403, "forbidden")


def test_no_origin_header_is_allowed(origin_broker, raws):
    # Non-browser clients send no Origin: header, query and first-frame authentication.
    raw = upgrade(origin_broker, raws, H.make_token("alice"))
    assert raw.status == 101, (raw.status, raw.body)
    expect_hello(raw, "alice")
    raw = upgrade(origin_broker, raws, H.make_token("bob"), query=True)
    assert raw.status == 101, (raw.status, raw.body)
    expect_hello(raw, "bob")
    raw = upgrade(origin_broker, raws, None)
    assert raw.status == 101, (raw.status, raw.body)
    hello = frame_auth(raw, H.make_token("carol"))
    assert hello.get("t") == "hello" and hello.get("user") == "carol", hello


def test_listed_origin_with_first_frame_auth(origin_broker, raws):
    raw = upgrade(origin_broker, raws, None, origin="http://localhost:3000")
    assert raw.status == 101, (raw.status, raw.body)
    hello = frame_auth(raw, H.make_token("dave"))
    assert hello.get("t") == "hello" and hello.get("id") == 1, hello


def test_origin_applies_to_the_client_api_routes(origin_broker):
    evil = {"Origin": "https://evil.example"}
    status, _, body = H.http_request(origin_broker, "POST", "/api/dev/token", {"user": "u"},
                                     headers=evil)
    assert status == 403, (status, body)
    assert json.loads(body)["error"]["code"] == "forbidden"
    status, _, body = H.http_request(origin_broker, "POST", "/api/dev/token", {"user": "u"},
                                     headers={"Origin": "https://app.example"})
    assert status == 200, (status, body)
    status, _, body = H.http_request(origin_broker, "POST", "/api/dev/token", {"user": "u"})
    assert status == 200, (status, body)
    # The client API: refused before the token is looked at, else served.
    bearer = {"Authorization": "Bearer " + H.make_token("alice")}
    status, _, body = H.http_request(origin_broker, "GET", "/api/rooms",
                                     headers=dict(bearer, **evil))
    assert status == 403, (status, body)
    assert json.loads(body)["error"]["code"] == "forbidden"
    status, _, body = H.http_request(origin_broker, "POST", "/api/rooms/r-x/messages",
                                     {"cid": "c1", "body": "x"}, headers=dict(bearer, **evil))
    assert status == 403, (status, body)
    for headers in (bearer, dict(bearer, Origin="http://localhost:3000")):
        status, _, body = H.http_request(origin_broker, "GET", "/api/rooms", headers=headers)
        assert status == 200, (status, body)
    # The server API is for backends (an API key, no browser): no Origin check.
    status, _, body = H.http_request(origin_broker, "GET", "/api/server/presence?users=a",
                                     headers=evil)
    assert status != 403, (status, body)
    # Operational routes are not browser API: no Origin check.
    assert H.http_request(origin_broker, "GET", "/healthz", headers=evil)[0] == 200


def test_without_a_list_any_origin_is_allowed(broker_factory, raws):
    b = broker_factory(name="anyorigin")
    for origin in ("https://evil.example", "null"):
        raw = upgrade(b, raws, H.make_token("alice"), origin=origin)
        assert raw.status == 101, (origin, raw.status, raw.body)
        expect_hello(raw, "alice")


# ----------------------------------------------------------------------------- per user

def test_connections_per_user_with_a_header_token(broker_factory, raws):
    b = broker_factory("--connections-per-user", "2", name="peruser")
    a1 = b.connect("alice")
    a2 = b.connect("alice", auth="query")
    # A third: 429 before the upgrade, header or query.
    assert_http_error(upgrade(b, raws, H.make_token("alice")), 429, "rate_limited")
    assert_http_error(upgrade(b, raws, H.make_token("alice"), query=True), 429, "rate_limited")
    # Other users are not affected.
    b.connect("bob")
    b.connect("bob")
    # The existing connections still work, and may refresh their token.
    a1.ping()
    assert a2.request("auth", token=H.make_token("alice", exp_in=7200)).get("t") == "ok"
    # Closing one makes room for one.
    a1.close()
    raw = upgrade_eventually(b, raws, H.make_token("alice"))
    assert raw.status == 101, (raw.status, raw.body)
    expect_hello(raw, "alice")
    assert_http_error(upgrade(b, raws, H.make_token("alice")), 429, "rate_limited")


def test_connections_per_user_with_first_frame_auth(broker_factory):
    b = broker_factory("--connections-per-user", "2", name="peruserframe")
    a1 = b.connect("alice", auth="frame")
    b.connect("alice", auth="frame")
    # A third: error rate_limited (with the request's id), then close 4008.
    c = Client.connect(b, auth=None)
    c.send({"t": "auth", "id": 7, "token": H.make_token("alice")})
    seen = c.expect_close(4008)
    errors = [m for m in seen if m.get("t") == "error"]
    assert errors, "no error before the close: %r" % seen
    assert_error(errors[0], "rate_limited")
    assert errors[0].get("id") == 7, errors
    assert errors[0]["retryable"] is True, errors
    assert isinstance(errors[0].get("retry_after_ms"), int), errors
    assert not [m for m in seen if m.get("t") == "hello"], seen
    # Header tokens count against the same limit.
    raw = RawWS.connect(b.port, token=H.make_token("alice"), subprotocols=JSON)
    assert_http_error(raw, 429, "rate_limited")
    # After one closes, a first-frame auth succeeds again.
    a1.close()
    deadline = time.monotonic() + H.scaled(5)
    while True:
        c = Client.connect(b, auth=None)
        c.send({"t": "auth", "id": 1, "token": H.make_token("alice")})
        first = c.recv()
        if first.get("t") == "hello" or time.monotonic() > deadline:
            break
        assert_error(first, "rate_limited")
        c.expect_close(4008)
        time.sleep(0.05)
    assert first.get("t") == "hello", first
    c.ping()


def test_zero_means_no_limit(broker_factory):
    b = broker_factory("--connections-per-user", "0", "--connections-per-ip", "0",
                       name="nolimit")
    clients = [b.connect("alice", auth="frame" if i % 2 else "header") for i in range(6)]
    for c in clients:
        c.ping()


# ----------------------------------------------------------------------------- per IP

def test_connections_per_ip(broker_factory, raws):
    b = broker_factory("--connections-per-ip", "3", name="perip")
    b.connect("alice")                         # header token
    b.connect("bob", auth="frame")             # first-frame auth
    idle = Client.connect(b, auth=None)        # not authenticated (yet): counts too
    # A fourth from 127.0.0.1: 429 on every path, before any token is looked at.
    ip_limited(upgrade(b, raws, H.make_token("carol")))
    ip_limited(upgrade(b, raws, H.make_token("carol"), query=True))
    ip_limited(upgrade(b, raws, None))
    ip_limited(upgrade(b, raws, "not-a-jwt"))
    # Plain HTTP requests are not WebSocket connections: not counted, not refused.
    assert H.http_request(b, "GET", "/healthz")[0] == 200
    # The unauthenticated one closes: room for one more.
    idle.close()
    raw = upgrade_eventually(b, raws, H.make_token("carol"))
    assert raw.status == 101, (raw.status, raw.body)
    expect_hello(raw, "carol")
    assert_http_error(upgrade(b, raws, None), 429, "rate_limited")


def test_auth_deadline_gives_the_ip_slot_back(broker_factory, raws):
    b = broker_factory("--connections-per-ip", "1", "--auth-deadline-ms", "300",
                       name="peripdeadline")
    idle = Client.connect(b, auth=None)
    assert_http_error(upgrade(b, raws, H.make_token("alice")), 429, "rate_limited")
    idle.expect_close(4001, timeout=H.scaled(3))
    raw = upgrade_eventually(b, raws, H.make_token("alice"))
    assert raw.status == 101, (raw.status, raw.body)
    expect_hello(raw, "alice")


def test_refused_connections_give_their_slots_back(broker_factory, raws):
    """Every refusal path (per-user 429, per-user 4008, bad token 401, a client that drops
    the socket) returns what it counted, exactly once: afterwards the limits still admit
    exactly as many as they should. (The IP limit leaves room for two connections that the
    server is still tearing down while the next attempt arrives.)"""
    b = broker_factory("--connections-per-user", "1", "--connections-per-ip", "5",
                       name="slots")
    alice = b.connect("alice")
    for _ in range(5):
        doc = assert_http_error(upgrade(b, raws, H.make_token("alice")), 429, "rate_limited")
        assert "connections_per_user" in doc["error"]["message"], doc
        assert_http_error(upgrade(b, raws, "not-a-jwt"), 401, "unauthorized")
        c = Client.connect(b, auth=None)
        c.send({"t": "auth", "token": H.make_token("alice")})
        c.expect_close(4008)
        c.close()
        # A client that vanishes without a close frame, authenticated or not.
        for token in (H.make_token("zed"), None):
            gone = upgrade(b, raws, token)
            assert gone.status == 101, (gone.status, gone.body)
            gone.close()
    # Four more users fit (alice + 4 = 5 per IP) once the refused ones are torn down...
    for user in ("bob", "carol", "dave", "erin"):
        raw = upgrade_eventually(b, raws, H.make_token(user))
        assert raw.status == 101, (user, raw.status, raw.body)
        expect_hello(raw, user)
    # ...and not one more: nothing was given back twice.
    ip_limited(upgrade(b, raws, H.make_token("frank")))
    ip_limited(upgrade(b, raws, None))
    alice.ping()
    # alice leaves: one IP slot and alice's user slot come back, once.
    alice.close()
    again = upgrade_eventually(b, raws, H.make_token("alice"))
    assert again.status == 101, (again.status, again.body)
    expect_hello(again, "alice")
    ip_limited(upgrade(b, raws, H.make_token("frank")))


# ----------------------------------------------------------------------------- RS256 / ES256

def _pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _signed(key, alg, sub="alice", exp_in=3600, headers=None):
    now = int(time.time())
    token = jwt.encode({"sub": sub, "iat": now, "exp": now + exp_in}, key, algorithm=alg,
                       headers=headers)
    return token.decode() if isinstance(token, bytes) else token


def _hs256_with_raw_key(key_bytes, sub="alice", alg="HS256"):
    """An HMAC-SHA256 token keyed with arbitrary bytes (PyJWT refuses PEM keys as secrets,
    which is exactly the HS/RS confusion attack this builds)."""
    now = int(time.time())
    b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64(json.dumps({"sub": sub, "iat": now, "exp": now + 3600},
                          separators=(",", ":")).encode())
    sig = hmac.new(key_bytes, (head + "." + body).encode(), hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def _write(path, data):
    path.write_bytes(data)
    return str(path)


def test_rs256_end_to_end(broker_factory, tmp_path, raws, rsa_key, ec_key):
    pub = _pem_public(rsa_key)
    b = broker_factory("--jwt-alg", "RS256",
                       "--jwt-public-key-file", _write(tmp_path / "rs.pub.pem", pub),
                       name="rs256")
    # Accepted on every way in.
    for how in ("header", "query", "frame"):
        user = "alice-" + how
        c = Client.connect(b, token=_signed(rsa_key, "RS256", sub=user), auth=how)
        assert c.hello["user"] == user
        c.ping()
    # Refused: HS256 with the broker's (ignored) shared secret, HS256 keyed with the public
    # key's PEM (HS/RS confusion), alg none, another RSA key, ES256.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {
        "hs256_secret": H.make_token("alice"),
        "hs256_public_pem": _hs256_with_raw_key(pub),
        "hs256_public_pem_as_rs256": _hs256_with_raw_key(pub, alg="RS256"),
        "alg_none": H.make_alg_none_token("alice"),
        "other_rsa_key": _signed(other, "RS256"),
        "es256": _signed(ec_key, "ES256"),
        "rs384": _signed(rsa_key, "RS384"),
    }
    for kind, token in bad.items():
        raw = upgrade(b, raws, token)
        assert raw.status == 401, (kind, raw.status, raw.body)
        c = Client.connect(b, auth=None)
        c.send({"t": "auth", "token": token})
        seen = c.expect_close(4001)
        errors = [m for m in seen if m.get("t") == "error"]
        assert errors and errors[0].get("code") == "unauthorized", (kind, seen)
    # The HTTP client API verifies its Bearer tokens the same way.
    status, _, body = H.http_request(b, "GET", "/api/rooms", headers={
        "Authorization": "Bearer " + _signed(rsa_key, "RS256")})
    assert status == 200, (status, body)
    for token in (H.make_token("alice"), _hs256_with_raw_key(pub)):
        status, _, body = H.http_request(b, "GET", "/api/rooms",
                                         headers={"Authorization": "Bearer " + token})
        assert status == 401, (status, body)
    # No signing key: dev tokens are refused with a message saying why.
    status, _, body = H.http_request(b, "POST", "/api/dev/token", {"user": "u1"})
    assert status == 404, (status, body)
    assert "HS256" in json.loads(body)["error"]["message"], body


def test_es256_end_to_end(broker_factory, tmp_path, raws, rsa_key, ec_key):
    b = broker_factory("--jwt-alg", "ES256",
                       "--jwt-public-key-file", _write(tmp_path / "es.pub.pem",
                                                       _pem_public(ec_key)),
                       name="es256")
    for how in ("header", "frame"):
        c = Client.connect(b, token=_signed(ec_key, "ES256", sub="bob"), auth=how)
        assert c.hello["user"] == "bob"
    for token in (_signed(rsa_key, "RS256"), H.make_token("alice"),
                  _signed(ec.generate_private_key(ec.SECP256R1()), "ES256"),
                  _hs256_with_raw_key(_pem_public(ec_key))):
        raw = upgrade(b, raws, token)
        assert raw.status == 401, (raw.status, raw.body)


def _refused_start(broker_factory, name, *args):
    b = broker_factory(*args, start=False, name=name)
    with pytest.raises(H.BrokerStartError) as e:
        b.start()
    assert b.last_exit == 2, b.last_exit
    return str(e.value)


def test_public_key_problems_stop_the_start(broker_factory, tmp_path, ec_key):
    msg = _refused_start(broker_factory, "nokey", "--jwt-alg", "RS256")
    assert "auth.jwt_public_key_file" in msg, msg
    missing = str(tmp_path / "missing.pem")
    msg = _refused_start(broker_factory, "missingkey", "--jwt-alg", "RS256",
                         "--jwt-public-key-file", missing)
    assert missing in msg and "No such file" in msg, msg
    ec_pem = _write(tmp_path / "ec.pem", _pem_public(ec_key))
    msg = _refused_start(broker_factory, "wrongkey", "--jwt-alg", "RS256",
                         "--jwt-public-key-file", ec_pem)
    assert "RSA" in msg, msg
    garbage = _write(tmp_path / "garbage.pem", b"hello\n")
    msg = _refused_start(broker_factory, "garbagekey", "--jwt-alg", "ES256",
                         "--jwt-public-key-file", garbage)
    assert "PUBLIC KEY" in msg, msg


def test_parley_token_refuses_rs256(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    p = subprocess.run([H.parley_bin(), "token", "--user", "alice", "--jwt-alg", "RS256",
                        "--data-dir", str(tmp_path)],
                       env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == "", p.stdout
    assert "HS256" in p.stderr and "private key" in p.stderr, p.stderr
