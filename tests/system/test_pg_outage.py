"""A PostgreSQL outage under a running broker (issue 3): while the database is down, sends
answer `unavailable` (retryable) within 2 s, typing keeps working and /readyz answers 503;
after it is back, sends work again, seq has no gap or duplicate and nothing acked is lost.

The test starts a private PostgreSQL server (scripts/pg-throwaway.sh) that it can stop and
start again, so it never disturbs the server the other tests share. It runs in the
PostgreSQL pass only (PARLEY_TEST_STORE set to a postgresql:// URL).
"""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import parley_harness as H
from parley_client import assert_error, create_room, history_all, new_cid, send_msg

pytestmark = pytest.mark.skipif(H.STORE == "sqlite",
                                reason="needs PostgreSQL (PARLEY_TEST_STORE=postgresql://...)")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg-throwaway.sh"


def pg(*args):
    return subprocess.run([str(SCRIPT), *args], check=True, capture_output=True, text=True,
                          timeout=120).stdout.strip()


@pytest.fixture
def private_pg():
    # A short path: the server's unix socket lives in it (107 bytes at most).
    d = tempfile.mkdtemp(prefix="pgo-", dir="/tmp")
    try:
        url = pg("start", d)
        yield d, url
    finally:
        subprocess.run([str(SCRIPT), "stop", d], timeout=120)
        shutil.rmtree(d, ignore_errors=True)


def readyz(broker):
    status, _, _ = H.http_request(broker, "GET", "/readyz")
    return status


def test_outage_fails_fast_keeps_typing_and_recovers_without_gaps(broker_factory, private_pg):
    pg_dir, url = private_pg
    b = broker_factory("--store", url, "--writers", "2", "--readers", "2", name="outage")
    alice, bob = b.connect("alice"), b.connect("bob")
    room = create_room(alice, ["bob"])
    alice.call("join", room=room)
    bob.call("join", room=room)
    acked = {}
    for i in range(5):
        ok = send_msg(alice, room, body="before %d" % i)
        acked[ok["cid"]] = ok["seq"]
    assert readyz(b) == 200

    pg("halt", pg_dir)
    # Sends fail fast with a retryable error: never a hang, never an ok.
    failed = []
    for i in range(4):
        cid = new_cid()
        t0 = time.monotonic()
        reply = alice.request("send", room=room, cid=cid, body="during %d" % i,
                              _timeout=H.scaled(5))
        elapsed = time.monotonic() - t0
        assert_error(reply, "unavailable", ctx="send during the outage")
        assert reply["retryable"] is True, reply
        assert elapsed < 2.0, "unavailable took %.2f s" % elapsed
        failed.append(cid)
    # Typing needs no storage.
    bob.call("typing", room=room, on=True)
    ev = alice.next_event("typing", timeout=H.scaled(3))
    assert ev["user"] == "bob" and ev["on"] is True, ev
    H.wait_until(lambda: readyz(b) == 503, H.scaled(5), what="/readyz 503 during the outage")

    pg("resume", pg_dir)
    H.wait_until(lambda: readyz(b) == 200, H.scaled(15), what="/readyz 200 after recovery")

    # The client retries its failed sends with the same cids, then sends more.
    def send_retrying(cid, body):
        deadline = time.monotonic() + H.scaled(15)
        while True:
            reply = alice.request("send", room=room, cid=cid, body=body)
            if reply.get("t") == "ok" or time.monotonic() > deadline:
                return reply
            assert_error(reply, "unavailable", ctx="send right after recovery")
            time.sleep(0.2)

    for cid in failed:
        reply = send_retrying(cid, "retried")
        assert reply.get("t") == "ok", reply
        acked[cid] = reply["seq"]
    for i in range(3):
        ok = send_msg(alice, room, body="after %d" % i)
        acked[ok["cid"]] = ok["seq"]

    msgs = history_all(alice, room)
    seqs = [m["seq"] for m in msgs]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "gap or duplicate: %s" % seqs
    by_cid = {}
    for m in msgs:
        assert m["cid"] not in by_cid, "cid stored twice: %s" % m["cid"]
        by_cid[m["cid"]] = m["seq"]
    for cid, seq in acked.items():
        assert by_cid.get(cid) == seq, "acked %s at %s, history has %s" % (cid, seq,
                                                                           by_cid.get(cid))
    assert len(msgs) == len(acked)
    # Live delivery works again, in order, for the other member.
    last = max(acked.values())
    ok = send_msg(alice, room, body="live")
    ev = bob.next_event("msg", timeout=H.scaled(5), seq=ok["seq"])
    assert ev["seq"] == last + 1, ev
