"""HTTP side of the broker: the listening line, health endpoints, development tokens
(PROTOCOL §8, DESIGN "Command line")."""

import json

import jwt
import pytest

import parley_harness as H
from parley_client import Client


@pytest.fixture(scope="module")
def broker(module_broker_factory):
    return module_broker_factory(name="http")


def test_listening_line_is_the_first_stdout_line(broker):
    assert broker.port and 0 < broker.port < 65536
    assert broker.stdout_lines, "no stdout captured"
    assert broker.stdout_lines[0] == "parley: listening on 127.0.0.1:%d" % broker.port, \
        "stdout: %r" % broker.stdout_lines


def test_healthz(broker):
    status, _, _ = H.http_request(broker, "GET", "/healthz")
    assert status == 200


def test_readyz_with_a_working_store(broker):
    status, _, _ = H.http_request(broker, "GET", "/readyz")
    assert status == 200


def test_dev_token_is_usable_for_auth(broker):
    status, headers, body = H.http_request(broker, "POST", "/api/dev/token",
                                           {"user": "u1", "name": "U One"})
    assert status == 200, body
    doc = json.loads(body)
    assert isinstance(doc, dict) and isinstance(doc.get("token"), str) and doc["token"], doc
    token = doc["token"]
    # minted with the configured secret (HS256) for that user
    claims = jwt.decode(token, H.SECRET, algorithms=["HS256"], leeway=30,
                        options={"verify_exp": True, "verify_aud": False})
    assert claims["sub"] == "u1"
    c = Client.connect(broker, token=token)
    assert c.hello["user"] == "u1"
    c.ping()


def test_dev_token_by_first_frame_auth(broker):
    status, _, body = H.http_request(broker, "POST", "/api/dev/token", {"user": "u2"})
    assert status == 200, body
    c = Client.connect(broker, token=json.loads(body)["token"], auth="frame")
    assert c.hello["user"] == "u2"


def test_dev_tokens_off_is_404_with_json_error(broker_factory):
    off = broker_factory(dev_tokens=False, name="devoff")
    status, headers, body = H.http_request(off, "POST", "/api/dev/token",
                                           {"user": "u1", "name": "U One"})
    assert status == 404, (status, body)
    doc = json.loads(body)
    assert isinstance(doc.get("error"), dict), doc
    assert isinstance(doc["error"].get("code"), str) and doc["error"]["code"], doc
    assert isinstance(doc["error"].get("message"), str), doc
    # the broker itself is fine
    assert H.http_request(off, "GET", "/healthz")[0] == 200
