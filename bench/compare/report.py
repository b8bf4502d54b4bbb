#!/usr/bin/env python3
"""Turns bench/compare.sh's raw results into the comparison: medians per scenario and system,
ratios against Parley from the same run, a Markdown table, a JSON file and a PNG chart.

  report.py --results results.jsonl --meta meta.json --out DIR

Every figure is a median over the runs; a ratio compares medians of the same run set. Runs
that failed (the server died, the load generator reported failures, lost or reordered
messages) are kept in compare.json and marked in the table, never silently averaged in.
"""
import argparse
import json
import math
import statistics
import sys
from pathlib import Path

PARLEY = ("parley-sqlite", "parley-pg")
SCENARIO_TITLES = {
    "fanout-1": "Fan-out, one big room",
    "fanout-many": "Fan-out, many small rooms",
    "fanout-1-half": "Fan-out, one big room, at half of saturation",
    "fanout-many-half": "Fan-out, many small rooms, at half of saturation",
    "fanout-many-low": "Fan-out, many small rooms, at a low rate (the latency floor)",
    "fanout-many-uuid": "Fan-out, many small rooms, UUID cids",
    "connect": "Idle connections: memory",
    "durable": "Durable events (closed loop)",
    "fsync": "The disk: fdatasync after a small write (the floor under durable latency)",
    "tcpsend": "The network stack: small TCP sends on loopback (what a delivery costs the kernel, alone or gathered)",
}


def forced_delay_us(rate, rooms, subscribers, ns_per_send, q=0.99):
    """A lower bound on the q-quantile of the delay before delivery that the cost of a send
    alone forces on any server with one core, at `rate` messages/s spread evenly over
    `rooms` rooms of `subscribers` connections each, arriving at a steady pace per room.

    One core makes at most B = 1e9 / ns_per_send sends a second, while the rooms ask for
    D = rate * subscribers deliveries a second; so a send must carry k = D / B deliveries on
    average. A connection's messages arrive r = rate / rooms times a second, and a send that
    carries m of them made the i-th from its last wait at least i / r. Hence at most j
    deliveries of each send, a fraction j / k of all deliveries, waited less than j / r, and
    the q-quantile of the wait is at least (ceil(q * k) - 1) / r. Everything else a server
    does (reading the sends, acks, storage) only adds to it, so this is a floor, not an
    estimate. None when a figure is missing."""
    if not (rate and rooms and subscribers and ns_per_send):
        return None
    k = rate * subscribers * ns_per_send / 1e9
    j = max(0, math.ceil(q * k) - 1)
    return j / (rate / rooms) * 1e6


def medians(summary, scenario, system):
    """The medians of one scenario on one system; {} when it has none."""
    return summary.get((scenario, system), {}).get("median", {})


def own_work_note(scenario, summary):
    """What a saturated fan-out's delivery costs each server besides the kernel's part of
    it, and what matching NATS would leave Parley for its own work: a server's CPU per
    delivery, less the CPU one frame of a gathered send costs the kernel (the same run's
    `tcpsend` loopback-gather probe). Over 200 rooms × 10 both servers gather ~50 frames
    per `sendmsg` when saturated (53 and 58, perf stat), so that part is the same for both;
    what remains is each server's own work per delivery: reading and parsing the sends,
    ordering, storage, acks. (Not for one room: how much a server gathers there was not
    measured.) "" when a figure is missing."""
    probe = medians(summary, "tcpsend", "loopback-gather")
    kernel_ns, frames = probe.get("ns_per_frame"), probe.get("frames")
    nats_m = medians(summary, scenario, "nats")
    nats = nats_m.get("cpu_us_per_event")
    if not (kernel_ns and nats):
        return ""
    k = kernel_ns / 1000
    fanout = nats_m.get("subscribers")
    own = {s: medians(summary, scenario, s).get("cpu_us_per_event") for s in PARLEY}
    names = {"parley-sqlite": "Parley (SQLite)", "parley-pg": "Parley (PostgreSQL)"}
    parts = [f"{names[s]} {own[s] - k:.2f} µs ({fmt(ratio(own[s] - k, nats - k), '×')})"
             for s in PARLEY if own[s]]
    if not parts:
        return ""
    note = (f"- Besides the kernel's part of a delivery (one frame of a {fmt(frames)}-frame send, "
            f"`tcpsend` loopback-gather: {k:.2f} µs), NATS spends {nats - k:.2f} µs of CPU per "
            f"delivery here, {' and '.join(parts)}.")
    if own["parley-sqlite"] and own["parley-sqlite"] > nats:  # where Parley is behind
        per_message = f", {(nats - k) * fanout:.1f} µs per message of {fmt(fanout)} deliveries" if fanout else ""
        note += (f" For Parley's deliveries/s to reach NATS's on the one core, all it does "
                 f"besides sending (reading and parsing the sends, ordering, the commit, the "
                 f"acks) would have to fit in NATS's {nats - k:.2f} µs per delivery{per_message}.")
    return note


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def load(path):
    rows = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"report: skipping an unparsable line: {e}", file=sys.stderr)
    return rows


def problems(row):
    """Why a run does not count, or '' when it does."""
    if "error" in row:
        return row["error"]
    b = row.get("bench") or {}
    if "error" in b:
        return b["error"]
    why = []
    if not row.get("server_alive", 1):
        why.append("server died")
    # A reordered message is counted by the load generator as not delivered (its per-
    # publisher counter went backwards): lost up to the reordered count is reordering, which
    # warnings() reports, not loss.
    lost = (b.get("lost") or 0) - (b.get("reordered") or 0)
    if lost > 0:
        why.append(f"lost {lost}")
    for k in ("failures", "duplicated"):
        if b.get(k):
            why.append(f"{k} {b[k]}")
    return ", ".join(why)


def warnings(row):
    """What is wrong with a run that still counts: messages delivered out of order."""
    b = row.get("bench") or {}
    return f"reordered {b['reordered']}" if b.get("reordered") else ""


def figures(row):
    """The figures of one run that the tables use."""
    b = row.get("bench") or {}
    cpu = (row.get("server_cpu_s") or 0) + (row.get("pg_cpu_s") or 0)
    f = {"server_cpu_s": cpu}
    _, user, sys_ = (list(row.get("bench_wall_user_sys_s") or []) + [None] * 3)[:3]
    if user is not None and sys_ is not None:
        f["bench_cpu_s"] = user + sys_
    if b.get("scenario") == "fsync":
        h = b.get("fdatasync_us") or {}
        return {k: h.get(k) for k in ("p50", "p90", "p99", "p999", "max")}
    if b.get("scenario") == "tcpsend":
        ns, secs = b.get("ns_per_send"), b.get("seconds")
        frames = b.get("frames") or 1  # a probe from before --frames sent one per call
        per_frame = b.get("ns_per_frame") or (ns / frames if ns else None)
        return {"ns_per_send": ns, "bytes": b.get("bytes"), "connections": b.get("connections"),
                "frames": frames, "ns_per_frame": per_frame,
                "sends_per_s": b["sends"] / secs if b.get("sends") and secs else None,
                "max_frames_per_s": 1e9 / per_frame if per_frame else None}
    if b.get("scenario") == "connect":
        f["kib_per_connection"] = b.get("kib_per_connection")
        f["connect_per_s"] = b.get("connect_per_s")
        f["connected"] = b.get("connected")
    else:
        f["deliveries_per_s"] = b.get("deliveries_per_s")
        f["events_per_s"] = b.get("events_per_s")
        f["delivered"] = b.get("delivered")
        f["rate"] = b.get("rate")
        f["rooms"] = b.get("rooms")
        f["subscribers"] = b.get("subscribers")
        for k in ("delivery_us", "ack_us", "send_late_us"):
            h = b.get(k)
            if isinstance(h, dict) and h.get("count"):
                f[k + "_p50"] = h.get("p50")
                f[k + "_p99"] = h.get("p99")
                f[k + "_p999"] = h.get("p999")
        delivered = b.get("delivered") or 0
        if b.get("scenario") == "durable":
            delivered = b.get("acked") or 0
        f["cpu_us_per_event"] = cpu * 1e6 / delivered if delivered else None
    return f


def summarise(rows):
    out = {}
    for r in rows:
        key = (r["scenario"], r["system"])
        e = out.setdefault(key, {"runs": [], "bad": []})
        why = problems(r)
        (e["bad"] if why else e["runs"]).append({"run": r.get("run"), "why": why or warnings(r),
                                                 **figures(r)})
    for e in out.values():
        keys = {k for run in e["runs"] for k in run if k not in ("run", "why")}
        e["median"] = {k: median([run.get(k) for run in e["runs"]]) for k in sorted(keys)}
    return out


def fmt(x, unit=""):
    if x is None:
        return "–"
    if x == 0:
        return "0"  # nothing, not a small amount ("0.00")
    if isinstance(x, float) and x < 100:
        return f"{x:.2f}{unit}"
    return f"{int(round(x)):,}{unit}"


def ratio(a, b):
    return a / b if a and b else None


def measured(summary, scenario, systems):
    """(system, its medians, "runs ok/bad") for each system this scenario has figures of."""
    for s in systems:
        e = summary.get((scenario, s))
        if e:
            yield s, e["median"], f"{len(e['runs'])}/{len(e['bad'])}"


def table(scenario, summary, systems):
    """One Markdown table for a scenario; ratios are 'how many times better Parley is'."""
    rows = []
    base = medians(summary, scenario, "parley-sqlite")
    if scenario == "connect":
        head = ["system", "KiB per connection", "connects/s", "Parley (SQLite) uses x less", "runs ok/bad"]
        for s, m, counts in measured(summary, scenario, systems):
            r = ratio(m.get("kib_per_connection"), base.get("kib_per_connection"))
            rows.append([s, fmt(m.get("kib_per_connection")), fmt(m.get("connect_per_s")),
                         "—" if s == "parley-sqlite" else fmt(r, "×"), counts])
    elif scenario == "durable":
        head = ["system", "durable events/s", "ack p50 µs", "ack p99 µs", "CPU µs/event",
                "Parley (SQLite) ×", "Parley (PG) ×", "runs ok/bad"]
        pg = medians(summary, scenario, "parley-pg")
        for s, m, counts in measured(summary, scenario, systems):
            rows.append([s, fmt(m.get("events_per_s")), fmt(m.get("ack_us_p50")), fmt(m.get("ack_us_p99")),
                         fmt(m.get("cpu_us_per_event")),
                         fmt(ratio(base.get("events_per_s"), m.get("events_per_s")), "×"),
                         fmt(ratio(pg.get("events_per_s"), m.get("events_per_s")), "×"),
                         counts])
    elif scenario == "fsync":
        head = ["", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "runs ok/bad"]
        for s, m, counts in measured(summary, scenario, systems):
            rows.append(["fdatasync"] + [fmt(m.get(k)) for k in ("p50", "p90", "p99", "p999", "max")]
                        + [counts])
    elif scenario == "tcpsend":
        head = ["", "frames per send", "sends/s", "sender CPU ns/send", "sender CPU ns/frame",
                "frames/s one core sends at most", "runs ok/bad"]
        for s, m, counts in measured(summary, scenario, systems):
            what = f"{s}: {fmt(m.get('bytes'))}-byte frames, {fmt(m.get('connections'))} connections"
            rows.append([what, fmt(m.get("frames")), fmt(m.get("sends_per_s")),
                         fmt(m.get("ns_per_send")), fmt(m.get("ns_per_frame")),
                         fmt(m.get("max_frames_per_s")), counts])
    elif scenario == "fanout-many-uuid":
        # Against the same system's fanout-many (cids "<user>-<counter>"), and against NATS's
        # fanout-many: the peers do not keep cids unique, so theirs is the same with UUIDs.
        nats = medians(summary, "fanout-many", "nats")
        head = ["system", "deliveries/s", "delivery p50 µs", "delivery p99 µs", "server CPU µs/delivery",
                "× its own with counter cids", "× NATS (fanout-many)", "runs ok/bad"]
        for s, m, counts in measured(summary, scenario, systems):
            own = medians(summary, "fanout-many", s)
            rows.append([s, fmt(m.get("deliveries_per_s")), fmt(m.get("delivery_us_p50")),
                         fmt(m.get("delivery_us_p99")), fmt(m.get("cpu_us_per_event")),
                         fmt(ratio(m.get("deliveries_per_s"), own.get("deliveries_per_s")), "×"),
                         fmt(ratio(m.get("deliveries_per_s"), nats.get("deliveries_per_s")), "×"),
                         counts])
    elif scenario.endswith("-half") or scenario.endswith("-low"):
        # "p99 the send cost forces": the p99 that no server on this machine could beat at
        # this load, from the same run's send probe (forced_delay_us); "–" without a probe.
        # The load generator's own lag (how late its sends left their schedule) and CPU
        # say whether the latency is the server's: a load generator that cannot keep the
        # schedule offers less than the rate and measures its own queue too.
        ns = medians(summary, "tcpsend", "loopback").get("ns_per_send")
        head = ["system", "offered msg/s", "deliveries/s", "delivery p50 µs", "delivery p99 µs",
                "delivery p99.9 µs", "server CPU µs/delivery", "p99 the send cost forces ≥ µs",
                "load generator: sends late p99 µs", "load generator CPU s", "runs ok/bad"]
        for s, m, counts in measured(summary, scenario, systems):
            floor = forced_delay_us(m.get("rate"), m.get("rooms"), m.get("subscribers"), ns)
            rows.append([s, fmt(m.get("rate")), fmt(m.get("deliveries_per_s")), fmt(m.get("delivery_us_p50")),
                         fmt(m.get("delivery_us_p99")), fmt(m.get("delivery_us_p999")),
                         fmt(m.get("cpu_us_per_event")), fmt(floor), fmt(m.get("send_late_us_p99")),
                         fmt(m.get("bench_cpu_s")), counts])
    else:
        head = ["system", "deliveries/s", "delivery p50 µs", "delivery p99 µs", "server CPU µs/delivery",
                "Parley (SQLite) deliveries ×", "Parley (SQLite) CPU efficiency ×", "runs ok/bad"]
        for s, m, counts in measured(summary, scenario, systems):
            rows.append([s, fmt(m.get("deliveries_per_s")), fmt(m.get("delivery_us_p50")),
                         fmt(m.get("delivery_us_p99")), fmt(m.get("cpu_us_per_event")),
                         fmt(ratio(base.get("deliveries_per_s"), m.get("deliveries_per_s")), "×"),
                         fmt(ratio(m.get("cpu_us_per_event"), base.get("cpu_us_per_event")), "×"),
                         counts])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    if scenario == "fanout-many":
        note = own_work_note(scenario, summary)
        if note:
            lines.append("\n" + note)
    for s in systems:
        e = summary.get((scenario, s), {})
        for b in e.get("bad", []):
            lines.append(f"\n- run {b['run']} of {s} not counted: {b['why']}")
        for b in e.get("runs", []):
            if b["why"]:
                lines.append(f"\n- run {b['run']} of {s}: messages out of order ({b['why']}): "
                             "counted, but the system broke per-room order")
    return "\n".join(lines)


def chart(summary, scenarios, systems, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: no matplotlib, no chart", file=sys.stderr)
        return False
    metric = {"fanout-1": ("deliveries_per_s", "deliveries/s"),
              "fanout-many": ("deliveries_per_s", "deliveries/s"),
              "fanout-many-uuid": ("deliveries_per_s", "deliveries/s"),
              "connect": ("kib_per_connection", "KiB per idle connection (lower is better)"),
              "durable": ("events_per_s", "durable events/s")}
    shown = [s for s in scenarios if s in metric and any((s, x) in summary for x in systems)]
    if not shown:
        return False
    fig, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 4.2), squeeze=False)
    colors = {"parley-sqlite": "#2b6cb0", "parley-pg": "#2c7a7b", "wspeer-pg": "#c05621",
              "wspeer": "#dd6b20", "socketio": "#805ad5", "nats": "#718096"}
    axis_of = {}
    for ax, scn in zip(axes[0], shown):
        axis_of[scn] = ax
        key, label = metric[scn]
        names, values = [], []
        for s in systems:
            v = medians(summary, scn, s).get(key)
            if v is not None:
                names.append(s)
                values.append(v)
        bars = ax.bar(names, values, color=[colors.get(n, "#999") for n in names])
        for b, v in zip(bars, values):
            ax.annotate(fmt(v), (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=7)
        ax.set_title(SCENARIO_TITLES.get(scn, scn), fontsize=10)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(axis="x", labelrotation=35, labelsize=8)
        ax.tick_params(axis="y", labelsize=8)
    # The UUID panel on the counter panel's scale: side by side, equal heights mean equal rates.
    pair = [axis_of[k] for k in ("fanout-many", "fanout-many-uuid") if k in axis_of]
    if len(pair) == 2:
        top = max(a.get_ylim()[1] for a in pair)
        for a in pair:
            a.set_ylim(0, top)
    fig.suptitle("Parley vs peers (medians; server on one CPU, load generator on the other)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows = load(a.results)
    meta = json.loads(Path(a.meta).read_text())
    summary = summarise(rows)
    order = ["parley-sqlite", "parley-pg", "nats", "wspeer", "wspeer-pg", "socketio"]
    systems = [s for s in order if any(k[1] == s for k in summary)]
    systems += sorted({k[1] for k in summary} - set(systems))
    scenarios = [s for s in ["fanout-1", "fanout-1-half", "fanout-many", "fanout-many-half", "fanout-many-low",
                             "fanout-many-uuid", "connect", "durable", "fsync", "tcpsend"]
                 if any(k[0] == s for k in summary)]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    md = [f"# Parley vs peers — {meta.get('date')} (commit {meta.get('commit')})", "",
          f"Machine: {meta['machine']['cpus']}, {meta['machine']['memory']}, {meta['machine']['os']}, "
          f"kernel {meta['machine']['kernel']}. Server pinned to CPU {meta['pinning']['server_cpus']}, "
          f"load generator to CPU {meta['pinning']['bench_cpus']}. Medians of {meta.get('runs')} run(s).", "",
          f"Versions: {json.dumps(meta.get('versions'))}", "",
          f"Parameters: `{json.dumps(meta.get('params'))}`", ""]
    for scn in scenarios:
        md += [f"## {SCENARIO_TITLES.get(scn, scn)} (`{scn}`)", "", table(scn, summary, systems), ""]
    if chart(summary, scenarios, systems, out / "compare.png"):
        md += ["![chart](compare.png)", ""]
    text = "\n".join(md)
    (out / "compare.md").write_text(text)
    (out / "compare.json").write_text(json.dumps({
        "meta": meta,
        "results": rows,
        "summary": [{"scenario": k[0], "system": k[1], **v} for k, v in sorted(summary.items())],
    }, indent=1))
    print(text)


if __name__ == "__main__":
    main()
