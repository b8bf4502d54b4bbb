"""The load generator (parley-bench, from $PARLEY_BENCH) against the real broker: every
scenario runs to completion with nothing lost, duplicated or reordered, and its figures add
up. The benchmark's numbers are only worth reading if these hold."""

import json
import os
import subprocess

import pytest

import parley_harness as H

BROKER_FLAGS = ("--connections-per-ip", "0", "--connections-per-user", "0",
                # Pings every second: a client that did not answer them would be cut
                # after three to four seconds, within the held connections' five.
                "--heartbeat-ms", "1000")


def run_bench(*args):
    """parley-bench with `args`, to completion (bounded)."""
    path = os.environ.get("PARLEY_BENCH", "")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("PARLEY_BENCH must name the parley-bench binary", pytrace=False)
    return subprocess.run([path, *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=H.scaled(60))


def last_json(stdout):
    """The JSON line parley-bench prints last."""
    lines = [l for l in stdout.splitlines() if l.startswith("{")]
    assert lines, "no JSON line in: " + stdout
    return json.loads(lines[-1])


def bench(broker, *args):
    p = run_bench(*args, "--port", broker.port, "--secret", broker.secret, "--source-ips", 2)
    assert p.returncode == 0, p.stderr
    return last_json(p.stdout), p.stderr


@pytest.fixture
def broker(broker_factory):
    # One per test: the bench names its rooms and users the same way every run.
    return broker_factory(*BROKER_FLAGS)


def check_clean(r, stderr):
    assert r["errors"] == 0, stderr
    assert r["failures"] == 0, stderr
    if r["scenario"] != "connect":
        assert (r["lost"], r["duplicated"], r["reordered"]) == (0, 0, 0)


def test_open_loop_fanout_delivers_every_acked_message_to_every_subscriber(broker):
    r, err = bench(broker, "fanout", "--rooms", 3, "--subscribers", 20, "--publishers", 1,
                   "--rate", 150, "--duration", 1, "--warmup", 0.5)
    check_clean(r, err)
    assert r["connected"] == 3 * 21
    assert r["acked"] == r["sent"] > 100
    assert r["delivered"] == r["acked"] * 20
    assert r["delivery_us"]["count"] > 0 and r["delivery_us"]["p50"] > 0
    # The schedule, whatever the timer's lag: 150 msg/s for 1.5 s is exactly 225 sends
    # (one pacer sends every send due, also those it woke late for, and none due after).
    assert r["sent"] == 225
    # How late the measured sends left their schedule is reported (the load generator's lag).
    assert 0 < r["send_late_us"]["count"] <= r["sent"]
    assert r["send_late_us"]["max"] >= r["send_late_us"]["p50"] >= 0


def test_closed_loop_fanout_keeps_its_window_full_and_loses_nothing(broker):
    r, err = bench(broker, "fanout", "--rooms", 2, "--subscribers", 50, "--publishers", 1,
                   "--rate", 0, "--in-flight", 16, "--duration", 1, "--warmup", 0.3)
    check_clean(r, err)
    assert r["acked"] == r["sent"] > 16
    assert r["delivered"] == r["acked"] * 50
    assert r["send_late_us"] is None  # no schedule to be late for


def test_uuid_cids_are_stored_once_each_and_lose_nothing(broker):
    # Random UUIDs as cids (what browser clients send): each send is a new message, none is
    # mistaken for a retry of another, and the run reports the style it used.
    r, err = bench(broker, "fanout", "--rooms", 2, "--subscribers", 10, "--publishers", 2,
                   "--rate", 0, "--in-flight", 8, "--duration", 1, "--warmup", 0.3,
                   "--cids", "uuid")
    check_clean(r, err)
    assert r["cids"] == "uuid"
    assert r["acked"] == r["sent"] > 16
    assert r["delivered"] == r["acked"] * 10


def test_an_unknown_cid_style_is_refused_before_connecting(broker):
    p = run_bench("fanout", "--port", broker.port, "--secret", broker.secret, "--cids", "ulid")
    assert p.returncode == 2
    assert "--cids is counter or uuid, not ulid" in p.stderr
    assert "unknown option" not in p.stderr  # the option is known; its value is wrong


def test_durable_scenario_counts_acked_events(broker):
    r, err = bench(broker, "durable", "--rooms", 4, "--in-flight", 4, "--duration", 1)
    check_clean(r, err)
    assert r["acked"] > 0 and r["events_per_s"] > 0
    assert r["ack_us"]["count"] > 0


def test_held_connections_answer_pings_and_report_memory(broker):
    r, err = bench(broker, "connect", "--connections", 60, "--rooms", 3, "--hold", 5,
                   "--server-pid", broker.proc.pid)
    check_clean(r, err)
    assert r["connected"] == 60
    assert r["kib_per_connection"] > 0


def test_connect_without_a_server_pid_holds_and_returns(broker):
    # Without --server-pid there is no memory to read: the hold still ends on time.
    r, err = bench(broker, "connect", "--connections", 10, "--rooms", 1, "--hold", 1)
    check_clean(r, err)
    assert r["connected"] == 10
    assert r["kib_per_connection"] == 0


def test_connect_with_history_replays_the_stored_messages_on_every_join(broker):
    # --history stores messages in each room first, and every join asks for them (a
    # reconnect storm's resume); the broker counts each replayed frame as a delivery.
    before = H.metric(broker, "parley_deliveries_total")
    r, err = bench(broker, "connect", "--connections", 12, "--rooms", 3, "--history", 5,
                   "--hold", 1)
    check_clean(r, err)
    assert r["connected"] == 12
    assert H.metric(broker, "parley_deliveries_total") - before == 12 * 5


def test_a_refused_connection_is_reported_not_hidden(broker):
    # A token signed with another secret: the broker refuses the upgrade, and the bench
    # says so (exit status and message) instead of reporting figures.
    path = os.environ.get("PARLEY_BENCH", "")
    p = subprocess.run([path, "fanout", "--rooms", "1", "--subscribers", "2",
                        "--publishers", "1", "--rate", "10", "--duration", "0.2",
                        "--port", str(broker.port),
                        "--secret", "not-the-secret-0123456789abcdef0123"],
                       capture_output=True, text=True, timeout=H.scaled(60))
    assert p.returncode != 0
    assert "handshake" in p.stderr, p.stderr


def test_fsync_probe_times_every_sync_and_leaves_no_file(tmp_path):
    p = run_bench("fsync", "--dir", tmp_path, "--count", 40, "--interval-us", 0)
    assert p.returncode == 0, p.stderr
    r = last_json(p.stdout)
    assert (r["scenario"], r["count"], r["bytes"]) == ("fsync", 40, 12288)
    h = r["fdatasync_us"]
    assert h["count"] == 40
    assert h["p50"] <= h["p99"] <= h["max"]
    assert list(tmp_path.iterdir()) == []


def test_fsync_probe_reports_a_directory_it_cannot_write(tmp_path):
    p = run_bench("fsync", "--dir", tmp_path / "missing", "--count", 3)
    assert p.returncode == 1
    assert "open" in p.stderr and "missing" in p.stderr
    r = last_json(p.stdout)
    assert r["scenario"] == "fsync" and "error" in r


def test_tcpsend_probe_counts_its_sends_and_their_cpu():
    p = run_bench("tcpsend", "--connections", 20, "--bytes", 200, "--seconds", 0.3)
    assert p.returncode == 0, p.stderr
    r = last_json(p.stdout)
    assert (r["scenario"], r["system"], r["connections"], r["bytes"]) == ("tcpsend", "loopback", 20, 200)
    assert r["frames"] == 1 and r["ns_per_frame"] == r["ns_per_send"]
    assert r["bytes_sent"] == r["sends"] * 200
    assert r["sends"] > 100 and r["seconds"] >= 0.3
    # The sending thread's CPU: some, and never more than the loop's wall time allows.
    assert 0 < r["sender_cpu_s"] <= r["seconds"] * 1.05 + 0.01
    assert abs(r["ns_per_send"] - r["sender_cpu_s"] * 1e9 / r["sends"]) < 1


def test_tcpsend_probe_gathers_frames_and_reports_the_cpu_of_each():
    p = run_bench("tcpsend", "--connections", 20, "--bytes", 100, "--frames", 8, "--seconds", 0.3)
    assert p.returncode == 0, p.stderr
    r = last_json(p.stdout)
    assert (r["frames"], r["bytes"]) == (8, 100)
    assert r["sends"] > 0 and r["sender_cpu_s"] > 0
    assert abs(r["ns_per_frame"] - r["ns_per_send"] / 8) < 1
    # Each call wrote all eight frames: what the kernel took, not what was asked.
    assert r["bytes_sent"] == r["sends"] * 8 * 100
    assert "8 frame(s) of 100 bytes per send" in p.stdout


def test_tcpsend_probe_refuses_more_connections_than_descriptors():
    p = run_bench("tcpsend", "--connections", 10_000_000, "--seconds", 0.1)
    assert p.returncode == 1
    assert "descriptors" in p.stderr
    assert "error" in last_json(p.stdout)
