"""bench/compare/report.py, the step of bench/compare.sh that turns raw runs into the
published tables: medians per scenario and system, failed runs kept apart. Checked on
hand-made runs of the latency-floor scenarios (no server needed)."""

import json
import subprocess
import sys
from pathlib import Path

REPORT = Path(__file__).resolve().parents[2] / "bench" / "compare" / "report.py"


def fanout_low(run, system, p50, p99):
    hist = {"p50": p50, "p90": p99, "p99": p99, "p999": p99 * 2, "max": p99 * 3, "count": 5000}
    return {"run": run, "scenario": "fanout-many-low", "system": system, "rc": 0,
            "server_alive": 1, "server_cpu_s": 0.4, "pg_cpu_s": 0,
            "bench": {"scenario": "fanout", "rate": 500, "delivered": 5000,
                      "deliveries_per_s": 5000, "lost": 0, "duplicated": 0, "reordered": 0,
                      "delivery_us": hist, "ack_us": hist}}


def fsync(run, p50, p99, error=None):
    bench = {"scenario": "fsync", "system": "disk", "count": 2000,
             "fdatasync_us": {"p50": p50, "p90": p50, "p99": p99, "p999": p99 * 2,
                              "max": p99 * 3, "count": 2000}}
    if error:
        bench = {"scenario": "fsync", "system": "disk", "error": error}
    return {"run": run, "scenario": "fsync", "system": "disk", "rc": 1 if error else 0,
            "bench": bench}


def run_report(tmp_path, rows):
    """report.py over these raw rows (as compare.sh writes them); the directory it wrote."""
    results = tmp_path / "results.jsonl"
    results.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({
        "date": "2026-12-03T00:00:00Z", "commit": "test", "runs": 3,
        "machine": {"cpus": "2 x test", "memory": "1 GiB", "kernel": "k", "os": "o"},
        "pinning": {"server_cpus": "0", "bench_cpus": "1"}, "versions": {}, "params": {}}))
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, str(REPORT), "--results", str(results), "--meta",
                        str(meta), "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return out


def test_the_floor_tables_hold_the_medians_and_keep_failed_runs_apart(tmp_path):
    rows = [fanout_low(1, "parley-sqlite", 800, 9000), fanout_low(2, "parley-sqlite", 1000, 11000),
            fanout_low(3, "parley-sqlite", 900, 10000), fanout_low(1, "nats", 300, 6000),
            fanout_low(2, "nats", 310, 5000), fanout_low(3, "nats", 320, 7000),
            fsync(1, 370, 800), fsync(2, 380, 5000), fsync(3, 390, 900),
            fsync(4, 0, 0, error="probe failed")]
    out = run_report(tmp_path, rows)
    md = (out / "compare.md").read_text()
    low = md.split("(`fanout-many-low`)")[1].split("##")[0]
    # system, offered, deliveries/s, p50, p99, p99.9: the medians of the three runs
    assert "| parley-sqlite | 500 | 5,000 | 900 | 10,000 | 20,000 |" in low
    # runs from before the load generator reported its lag: a dash, not a zero
    assert low.split("| parley-sqlite |")[1].split("\n")[0].endswith("| – | – | 3/0 |")
    assert "| nats | 500 | 5,000 | 310 | 6,000 | 12,000 |" in low
    disk = md.split("(`fsync`)")[1]
    assert "| fdatasync | 380 | 380 | 900 | 1,800 | 2,700 | 3/1 |" in disk
    assert "run 4 of disk not counted: probe failed" in disk
    summary = {(e["scenario"], e["system"]): e for e in json.loads((out / "compare.json").read_text())["summary"]}
    assert summary[("fsync", "disk")]["median"]["p99"] == 900
    assert summary[("fanout-many-low", "parley-sqlite")]["median"]["delivery_us_p50"] == 900


def load_report_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("compare_report", REPORT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_send_cost_bound_counts_the_deliveries_each_send_must_carry():
    f = load_report_module().forced_delay_us
    # 5 µs a send: 200,000 sends/s. 47,000 msg/s x 10 subscribers = 470,000 deliveries/s, so
    # 2.35 per send; each connection gets 235 msg/s; 99 % of 2.35 is 2.33: at most two
    # deliveries of a send waited under 2/235 s, i.e. 2/2.35 = 85 % < 99 %.
    assert round(f(47_000, 200, 10, 5_000)) == round(2 / 235 * 1e6)
    # Fewer deliveries than one core's sends: nothing forces a wait, and the table says 0.
    assert f(500, 200, 10, 5_000) == 0
    assert load_report_module().fmt(f(500, 200, 10, 5_000)) == "0"
    # Exactly 100 deliveries a send: 99 of each may be under 98/r, and 99 % is not beyond.
    assert round(f(1_000, 1, 100, 1e6)) == round(98 / 1_000 * 1e6)
    # One room of 2,000 at 530 msg/s: 5.3 deliveries a send, 530 msg/s a connection.
    assert round(f(530, 1, 2_000, 5_000)) == round(5 / 530 * 1e6)
    assert f(None, 200, 10, 5_000) is None and f(47_000, 200, 10, None) is None


def test_the_half_load_table_shows_the_floor_from_the_same_runs_send_probe(tmp_path):
    hist = {"p50": 30000, "p90": 90000, "p99": 120000, "p999": 150000, "max": 160000, "count": 9}
    late = {"p50": 60, "p90": 150, "p99": 180, "p999": 250, "max": 900, "count": 9}
    half = {"run": 1, "scenario": "fanout-many-half", "system": "parley-sqlite", "rc": 0,
            "server_alive": 1, "server_cpu_s": 10, "pg_cpu_s": 0,
            "bench_wall_user_sys_s": [13.5, 3.0, 4.25],
            "bench": {"scenario": "fanout", "rate": 47_000, "rooms": 200, "subscribers": 10,
                      "delivered": 4_700_000, "deliveries_per_s": 470_000, "lost": 0,
                      "duplicated": 0, "reordered": 0, "delivery_us": hist, "ack_us": hist,
                      "send_late_us": late}}
    sends = [{"run": run, "scenario": "tcpsend", "system": "loopback", "rc": 0,
              "bench": {"scenario": "tcpsend", "system": "loopback", "connections": 2000,
                        "bytes": 160, "sends": 600_000, "seconds": 3.0, "sender_cpu_s": cpu,
                        "ns_per_send": cpu * 1e9 / 600_000}}
             for run, cpu in ((1, 2.7), (2, 3.0), (3, 3.3))]
    md = (run_report(tmp_path, [half, *sends]) / "compare.md").read_text()
    probe = md.split("(`tcpsend`)")[1]
    # the median run: 3.0 s of CPU for 600,000 sends = 5,000 ns, 200,000 frames/s at most;
    # rows from before --frames count as one frame per send
    assert ("| loopback: 160-byte frames, 2,000 connections | 1 | 200,000 | 5,000 | 5,000 "
            "| 200,000 | 3/0 |") in probe
    row = md.split("(`fanout-many-half`)")[1].split("##")[0]
    # then the load generator's lag (its sends' p99 behind schedule) and its CPU (user + sys)
    assert ("| parley-sqlite | 47,000 | 470,000 | 30,000 | 120,000 | 150,000 | 2.13 | 8,511 | 180 "
            "| 7.25 | 1/0 |") in row


def fanout_many(scenario, system, deliveries_per_s, cpu_s=10):
    hist = {"p50": 100_000, "p90": 150_000, "p99": 200_000, "p999": 250_000, "max": 300_000,
            "count": 9}
    return {"run": 1, "scenario": scenario, "system": system, "rc": 0, "server_alive": 1,
            "server_cpu_s": cpu_s, "pg_cpu_s": 0,
            "bench": {"scenario": "fanout", "rate": 0, "rooms": 200, "subscribers": 10,
                      "delivered": deliveries_per_s * 10, "deliveries_per_s": deliveries_per_s,
                      "lost": 0, "duplicated": 0, "reordered": 0, "delivery_us": hist,
                      "ack_us": hist}}


def test_the_uuid_table_compares_each_system_with_its_own_counter_run_and_with_nats(tmp_path):
    rows = [fanout_many("fanout-many", "parley-sqlite", 1_000_000),
            fanout_many("fanout-many", "nats", 3_000_000),
            fanout_many("fanout-many-uuid", "parley-sqlite", 500_000),
            fanout_many("fanout-many-uuid", "parley-pg", 400_000)]
    md = (run_report(tmp_path, rows) / "compare.md").read_text()
    uuid = md.split("(`fanout-many-uuid`)")[1].split("##")[0]
    # 10 s of CPU for 5,000,000 deliveries: 2 µs each; half its counter run; a sixth of NATS's
    assert "| parley-sqlite | 500,000 | 100,000 | 200,000 | 2.00 | 0.50× | 0.17× | 1/0 |" in uuid
    # No counter run of parley-pg in these rows: that ratio is left empty, not invented.
    assert "| parley-pg | 400,000 | 100,000 | 200,000 | 2.50 | – | 0.13× | 1/0 |" in uuid
    assert "nats" not in uuid


def gathered_sends(ns_per_frame, frames=50):
    cpu = 3.0
    sends = int(cpu * 1e9 / (ns_per_frame * frames))
    return {"run": 1, "scenario": "tcpsend", "system": "loopback-gather", "rc": 0,
            "bench": {"scenario": "tcpsend", "system": "loopback", "connections": 2000,
                      "bytes": 160, "frames": frames, "sends": sends, "seconds": 3.0,
                      "sender_cpu_s": cpu, "ns_per_send": cpu * 1e9 / sends,
                      "ns_per_frame": cpu * 1e9 / sends / frames}}


def test_the_many_rooms_table_says_what_each_delivery_costs_besides_the_kernels_send(tmp_path):
    # NATS: 10 s for 30,000,000 deliveries = 0.333 µs each; Parley 10 s for 10,000,000 = 1 µs;
    # the kernel's part of a gathered frame 0.133 µs: NATS 0.20 µs of its own, Parley 0.87.
    rows = [fanout_many("fanout-many", "parley-sqlite", 1_000_000),
            fanout_many("fanout-many", "nats", 3_000_000),
            gathered_sends(133.3)]
    md = (run_report(tmp_path, rows) / "compare.md").read_text()
    many = md.split("(`fanout-many`)")[1].split("##")[0]
    assert "one frame of a 50-frame send, `tcpsend` loopback-gather: 0.13 µs" in many
    assert "NATS spends 0.20 µs of CPU per delivery here, Parley (SQLite) 0.87 µs (4.33×)" in many
    assert "fit in NATS's 0.20 µs per delivery, 2.0 µs per message of 10 deliveries" in many
    probe = md.split("(`tcpsend`)")[1]
    assert "| loopback-gather: 160-byte frames, 2,000 connections | 50 |" in probe
    # Without the gathered probe (or without NATS) there is no such line: nothing invented.
    # Where Parley is ahead the note gives the figures, not what catching up would take.
    ahead = [fanout_many("fanout-many", "parley-sqlite", 4_000_000), rows[1], rows[2]]
    md = (run_report(tmp_path, ahead) / "compare.md").read_text()
    assert "Parley (SQLite) 0.12 µs (0.58×)." in md and "would have to fit" not in md
    md = (run_report(tmp_path, rows[:2]) / "compare.md").read_text()
    assert "Besides the kernel" not in md
    md = (run_report(tmp_path, [rows[0], rows[2]]) / "compare.md").read_text()
    assert "Besides the kernel" not in md
