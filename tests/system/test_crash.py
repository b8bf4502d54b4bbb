"""Ack means durable (PROTOCOL §5.1, §5.4, DESIGN invariants): SIGKILL the broker while
pipelined sends are in flight, restart on the same data dir, and check that every acked
message is there exactly once with its acked seq, that seqs have no gap or duplicate,
and that retrying every cid is idempotent."""

from parley_client import (ConnectionClosed, WAIT, check_join_ok, check_msg, create_room,
                           history_all, history_all_backward)

N = 300
KILL_AFTER_ACKS = 100
WINDOW = 40  # sends in flight (well under the default --max-requests-in-flight 256)


def body_of(cid):
    return "body of " + cid


def pipeline(client, room, cids, window=WINDOW, on_ack=None, stop_when=None):
    """Send `cids` with at most `window` unanswered. Returns ({cid: ok}, stopped).
    `stop_when(acks)` true: stop sending and return (the caller then crashes the broker)."""
    acks = {}
    by_id = {}
    i = 0
    in_flight = 0
    while i < len(cids) or in_flight:
        while i < len(cids) and in_flight < window:
            rid = 1000 + i
            by_id[rid] = cids[i]
            client.send({"t": "send", "id": rid, "room": room, "cid": cids[i],
                         "body": body_of(cids[i])})
            i += 1
            in_flight += 1
        m = client.recv(WAIT)
        if m.get("t") not in ("ok", "error") or m.get("id") not in by_id:
            continue  # msg / room events
        in_flight -= 1
        cid = by_id[m["id"]]
        assert m["t"] == "ok", "send %s failed: %r" % (cid, m)
        assert m["room"] == room, m
        assert cid not in acks, "two replies for %s" % cid
        acks[cid] = m
        if stop_when is not None and stop_when(acks):
            return acks, by_id, True
    return acks, by_id, False


def collect_after_crash(client, by_id, acks):
    """After SIGKILL: acks already in our receive buffer are still acks."""
    while True:
        try:
            m = client.recv(2)
        except (ConnectionClosed, TimeoutError):
            return
        if m.get("t") == "ok" and m.get("id") in by_id:
            acks[by_id[m["id"]]] = m


def verify_log(client, room, base, acked, allowed_cids):
    """History after the restart: contiguous seqs from base+1, each cid at most once, every
    acked cid at its acked seq (and ts). Returns {cid: (seq, ts)} of what is stored."""
    forward = history_all(client, room, after=base, limit=100)
    backward = [m for m in history_all_backward(client, room, limit=100) if m["seq"] > base]
    assert [m["seq"] for m in forward] == [m["seq"] for m in backward], \
        "paging forward and backward disagree"
    seqs = [m["seq"] for m in forward]
    assert seqs == list(range(base + 1, base + 1 + len(seqs))), \
        "seqs not contiguous from %d: %s" % (base + 1, _gaps(seqs, base))
    stored = {}
    for m in forward:
        check_msg(m, room=room, seq=m["seq"], sender="crasher", body=body_of(m["cid"]),
                  history=True)
        assert m["cid"] not in stored, "cid %s stored twice (seqs %s and %s)" % (
            m["cid"], stored[m["cid"]][0], m["seq"])
        assert m["cid"] in allowed_cids, "unknown cid %s in history" % m["cid"]
        stored[m["cid"]] = (m["seq"], m["ts"])
    for cid, ok in acked.items():
        assert cid in stored, "acked message %s (seq %s) lost by the crash" % (cid, ok["seq"])
        assert stored[cid] == (ok["seq"], ok["ts"]), \
            "acked %s as seq %s ts %s, stored as %s" % (cid, ok["seq"], ok["ts"], stored[cid])
    return stored


def _gaps(seqs, base):
    expect = base + 1
    out = []
    for s in seqs:
        if s != expect:
            out.append("expected %d got %d" % (expect, s))
            if len(out) > 5:
                break
        expect = s + 1
    return "; ".join(out) or "(none)"


def crash_cycle(broker, room, cycle, prior):
    """One kill/restart cycle with N new cids. `prior`: {cid: (seq, ts)} already stored."""
    cids = ["c%d-%03d" % (cycle, i) for i in range(N)]
    client = broker.connect("crasher", label="crasher-%d" % cycle)
    base = check_join_ok(client.call("join", room=room), room)["head"]
    assert base == (max(s for s, _ in prior.values()) if prior else base)

    acks, by_id, stopped = pipeline(client, room, cids,
                                    stop_when=lambda a: len(a) >= KILL_AFTER_ACKS)
    assert stopped, "all %d sends were acked before the kill point" % N
    broker.kill()
    collect_after_crash(client, by_id, acks)
    client.close()
    assert len(acks) >= KILL_AFTER_ACKS

    broker.start()
    client = broker.connect("crasher", label="crasher-%d-restarted" % cycle)
    join = check_join_ok(client.call("join", room=room), room)
    allowed = set(cids)  # only this cycle's cids may follow base
    stored = verify_log(client, room, base, acks, allowed)
    assert join["head"] == base + len(stored), (join, base, len(stored))
    # earlier cycles are intact
    earlier = history_all(client, room, after=0, limit=100)
    earlier = {m["cid"]: (m["seq"], m["ts"]) for m in earlier if m["cid"] in prior}
    assert earlier == prior, "messages of earlier cycles changed"

    # retry every cid: acked (and stored-but-unacked) ones answer their original seq and ts
    retry, _, _ = pipeline(client, room, cids)
    new_seqs = []
    for cid in cids:
        ok = retry[cid]
        if cid in stored:
            assert (ok["seq"], ok["ts"]) == stored[cid], \
                "retry of stored %s answered seq %s, stored %s" % (cid, ok["seq"], stored[cid])
        else:
            new_seqs.append(ok["seq"])
    assert sorted(new_seqs) == list(range(base + len(stored) + 1, base + N + 1)), \
        "retried cids got seqs %s" % sorted(new_seqs)[:20]

    final = verify_log(client, room, base, retry, allowed)
    assert len(final) == N, "expected %d messages after the retries, got %d" % (N, len(final))
    assert set(final) == set(cids)
    client.close()
    result = dict(prior)
    result.update(final)
    return result, len(acks), len(stored)


def test_kill_and_restart_loses_nothing_acked(broker_factory):
    broker = broker_factory(name="crash")
    owner = broker.connect("owner")
    room = create_room(owner, ["crasher"])
    owner.close()
    stored = {}
    report = []
    for cycle in (1, 2):
        stored, acked, survived = crash_cycle(broker, room, cycle, stored)
        report.append((acked, survived))
        assert len(stored) == cycle * N
    # one last look from a fresh connection: exactly 2N messages, contiguous, each cid once
    c = broker.connect("crasher")
    base = min(s for s, _ in stored.values()) - 1
    msgs = history_all(c, room, after=0, limit=100)
    assert [m["seq"] for m in msgs] == list(range(base + 1, base + 2 * N + 1))
    assert sorted(m["cid"] for m in msgs) == sorted(stored)
    print("acked before kill / stored after restart per cycle:", report)
