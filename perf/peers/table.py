#!/usr/bin/python3
"""Prints perf/compare.sh's table from the JSON files one run left in --json-dir, and writes
compare.json there with the same figures.

Per server: <server>.bench.json (ringstat-bench ingest --json), <server>.count.json and
<server>.query.json (perf/peer_count.py), <server>.meta.json (compare.sh's own readings of
/proc and du). The bench's figures cover its timed window; compare.sh's cover the server's whole
life up to the count-back (warm-up round and drain included). Both are labelled in the output.
"""

import argparse
import json
import os
import platform
import sys

MIB = 1024 * 1024
MB = 1000 * 1000
# ringstat-bench's written_window when the window ended with an admin flush (perf/bench/report.cc).
FLUSHED_WINDOW = "first line to the end of the admin flush"


def load(path):
    try:
        with open(path) as source:
            return json.load(source)
    except (OSError, ValueError):
        return None


def dig(tree, *path):
    """tree[path[0]][path[1]]..., or None where any step is missing or null."""
    for step in path:
        if not isinstance(tree, dict) or tree.get(step) is None:
            return None
        tree = tree[step]
    return tree


def scaled(value, factor):
    return None if value is None else value * factor


def bench_figures(bench):
    """The figures of ringstat-bench's --json (perf/bench/report.cc) that the table shows."""
    if bench is None:
        return {}
    figures = {
        # Stored counts include the warm-up round, so the whole ledger is the reference.
        "sent": dig(bench, "sent_total"),
        "achieved_per_s": dig(bench, "timed", "achieved_per_s"),
        "lag_s": dig(bench, "lag_s"),
        "failed_connections": dig(bench, "failed_connections"),
        "cpu_ns_per_sample": dig(bench, "timed", "server", "cpu_ns_per_sample"),
        "first_seen_ns_per_sample": dig(bench, "warmup", "server", "cpu_ns_per_sample"),
        "peak_rss_mib": scaled(dig(bench, "timed", "server", "rss_peak_bytes"), 1 / MIB),
        "disk_written_mb": scaled(dig(bench, "timed", "server", "disk_write_bytes"), 1 / MB),
        "window_settled": dig(bench, "timed", "server", "settled"),
        # Only a window that ended with the server's own flush (ringstat's admin flush) counts
        # here; the others end when the server went idle, so the table uses compare.sh's
        # whole-life reading instead, taken after the server settled.
        "written_per_sample": dig(bench, "written_bytes_per_sample")
        if dig(bench, "written_window") == FLUSHED_WINDOW else None,
        "store": dig(bench, "store"),
        "bench_loss": dig(bench, "loss"),
    }
    for query in bench.get("queries") or []:
        if query.get("kind") == "day" and query.get("count"):
            figures["day_p99_under_load_ms"] = query["p99_ns"] / 1e6
            figures["day_queries_under_load"] = query["count"]
            figures["day_errors_under_load"] = query.get("errors")
    return figures


def server_row(json_dir, server):
    meta = load(os.path.join(json_dir, server + ".meta.json")) or {"server": server,
                                                                    "skipped": "no result"}
    row = {"server": server, "meta": meta}
    if "skipped" in meta:
        return row
    bench = bench_figures(load(os.path.join(json_dir, server + ".bench.json")))
    count = load(os.path.join(json_dir, server + ".count.json")) or {}
    query = load(os.path.join(json_dir, server + ".query.json")) or {}
    row.update(bench)
    row["stored"] = count.get("stored")
    row["wrong_counters"] = count.get("counters_with_wrong_values")
    row["wrong_examples"] = count.get("wrong_examples")
    if row.get("sent") is not None and row["stored"] is not None:
        row["lost_counted"] = max(0, row["sent"] - row["stored"])
        row["extra_counted"] = max(0, row["stored"] - row["sent"])
    row["day_p99_ms"] = query.get("p99_ms")
    row["day_p50_ms"] = query.get("p50_ms")
    # Whole-life figures from compare.sh, used where the bench gave none.
    if meta.get("vm_hwm_kib"):
        row["hwm_mib"] = meta["vm_hwm_kib"] / 1024
    if meta.get("write_bytes") is not None:
        row["life_written_mb"] = meta["write_bytes"] / MB
    if meta.get("du_kib") is not None:
        row["du_mb"] = meta["du_kib"] * 1024 / MB
        if row.get("stored"):
            row["store_bytes_per_point"] = meta["du_kib"] * 1024 / row["stored"]
    if meta.get("write_bytes") is not None and row.get("sent"):
        row["life_written_per_sample"] = meta["write_bytes"] / row["sent"]
    if meta.get("total_cpu_s") is not None and row.get("stored"):
        row["life_cpu_ns_per_stored"] = meta["total_cpu_s"] * 1e9 / row["stored"]
    return row


def cell(value, digits=0, marker=""):
    if value is None:
        return "n/a"
    if isinstance(value, float) and digits == 0:
        return "{:,.0f}".format(value) + marker
    if isinstance(value, int):
        return "{:,}".format(value) + marker
    return "{:,.{}f}".format(value, digits) + marker


def print_store_levels(server, store):
    """ringstat-bench's store figures: bytes per retained bucket level by level (pages only) and
    over every level (the whole store directory)."""
    levels = ", ".join("level %d (%d s) %s B" % (number, level["interval_s"],
                                                  cell(level.get("page_bytes_per_bucket"), 1))
                       for number, level in enumerate(store.get("levels") or []))
    print("  %s: store bytes per retained bucket after the flush: %s in pages (%s buckets still "
          "staged, in the log and snapshots); all levels %s B (store directory %s MB over %s "
          "buckets)" % (server, levels, cell(store.get("staged_buckets")),
                        cell(store.get("store_bytes_per_bucket"), 1),
                        cell(scaled(store.get("store_bytes"), 1 / MB), 1),
                        cell(store.get("buckets_total"))))


def print_table(rows, args):
    print("ringstat compare: %s on %s (%d CPUs, kernel %s)" % (
        args.date, platform.node(), os.cpu_count() or 0, platform.release()))
    print("workload: graphite plaintext over TCP, %d counters rsb.hHHHH.mMMMM, steady "
          "(t0 + 10 s x round, t0 %d: each sample opens its counter's next 10 s bucket), rate %s, %s s timed after a warm-up round, "
          "%d connections, ringstat threads %s; every server on 127.0.0.1, one after the other"
          % (args.counters, args.t0, args.rate, args.duration, args.connections, args.threads))
    header = ["server", "samples/s", "sent", "stored", "lost", "bad ctrs", "CPU ns/sample",
              "drain CPU s", "peak RSS MiB", "disk MB written", "disk MB du", "written B/sample",
              "store B/point", "day p99 ms", "box busy %"]
    lines = [header]
    for row in rows:
        meta = row["meta"]
        if "skipped" in meta:
            lines.append([row["server"], "skipped: " + meta["skipped"]])
            continue
        lost = row.get("lost_counted")
        lines.append([
            row["server"], cell(row.get("achieved_per_s")), cell(row.get("sent")),
            cell(row.get("stored")), cell(lost), cell(row.get("wrong_counters")),
            cell(row.get("cpu_ns_per_sample")) if row.get("cpu_ns_per_sample") is not None
            else cell(row.get("life_cpu_ns_per_stored"), marker="*"),
            cell(meta.get("drain_cpu_s"), 1),
            cell(row.get("peak_rss_mib"), 1) if row.get("peak_rss_mib") is not None
            else cell(row.get("hwm_mib"), 1, "*"),
            cell(row.get("disk_written_mb"), 1) if row.get("disk_written_mb") is not None
            else cell(row.get("life_written_mb"), 1, "*"),
            cell(row.get("du_mb"), 1),
            cell(row.get("written_per_sample"), 1) if row.get("written_per_sample") is not None
            else cell(row.get("life_written_per_sample"), 1, "*"),
            cell(row.get("store_bytes_per_point"), 1), cell(row.get("day_p99_ms"), 2),
            cell(meta.get("busy_pct_before")),
        ])
    widths = [max(len(line[i]) for line in lines if len(line) > 2) for i in range(len(header))]
    widths[0] = max(len(line[0]) for line in lines)
    for line in lines:
        if len(line) == 2:
            print("%-*s  %s" % (widths[0], line[0], line[1]))
        else:
            print("  ".join(text.rjust(widths[i]) if i else text.ljust(widths[i])
                            for i, text in enumerate(line)))
    print("lost = sent - stored, stored counted back from each server after it settled; bad ctrs ="
          " counters whose stored sum is not the sum of their first `count` samples.")
    print("CPU ns/sample, peak RSS, disk written: ringstat-bench's /proc readings over the timed "
          "window; * = the server's whole life instead (warm-up, drain included).")
    print("drain CPU s = server CPU after the load ended until everything was stored. disk MB du ="
          " allocated size of the data directory. day p99 = 300 sequential one-day queries at 10 s"
          " on random counters after ingest (ringstat GET /<name>, VictoriaMetrics query_range);"
          " carbon and InfluxDB are not asked (no graphite-web; no one-day bucket query)."
          " written B/sample = disk bytes the server wrote (/proc/PID/io; log, data files,"
          " checkpoints) over samples sent: ringstat-bench's from the first line to the end of"
          " ringstat's admin flush; * = the server's whole life until it settled (its own"
          " flushes and merges included). store B/point = disk MB du over the points it stores"
          " at 10 s (every level and index included: the one per-point figure every server has)."
          " box busy % = all CPUs over 1 s just before the server started (others may share"
          " the machine; a busy box makes every figure worse).")
    for row in rows:
        meta = row["meta"]
        if "skipped" not in meta:
            print("  %s: %s; %s" % (row["server"], meta.get("version"), meta.get("settings")))
        if row.get("wrong_examples"):
            print("  %s: wrong counters, e.g. %s" % (row["server"], ", ".join(row["wrong_examples"])))
        if meta.get("bench_status"):
            print("  %s: ringstat-bench exited with status %d (its stderr is in --json-dir)"
                  % (row["server"], meta["bench_status"]))
        if row.get("first_seen_ns_per_sample") is not None:
            print("  %s: warm-up round (first-seen cost, creating %d counters): %s server CPU "
                  "ns/sample" % (row["server"], args.counters,
                                 cell(row["first_seen_ns_per_sample"])))
        store = row.get("store")
        if store:
            print_store_levels(row["server"], store)
        if row.get("lag_s"):
            print("  %s: the senders ended %.2f s behind the offered schedule"
                  % (row["server"], row["lag_s"]))
        if row.get("failed_connections"):
            print("  %s: %d sender connections failed" % (row["server"], row["failed_connections"]))
        loss = row.get("bench_loss")
        if loss:
            print("  %s: ringstat-bench's own loss check %s: sent %s, stored %s, lost %s, wrong "
                  "counters %s" % (row["server"], "PASSED" if loss.get("passed") else "FAILED",
                                   cell(loss.get("sent")), cell(loss.get("stored")),
                                   cell(loss.get("lost")), cell(loss.get("counters_wrong"))))
        if row.get("day_p99_under_load_ms") is not None:
            print("  %s: one-day query p99 during the load (ringstat-bench, 2 clients, %s queries,"
                  " %s errors): %.2f ms" % (row["server"], cell(row.get("day_queries_under_load")),
                                           cell(row.get("day_errors_under_load")),
                                           row["day_p99_under_load_ms"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json-dir", required=True)
    parser.add_argument("--servers", required=True)
    for flag in ["--counters", "--connections", "--t0"]:
        parser.add_argument(flag, type=int, required=True)
    for flag in ["--duration", "--rate", "--threads", "--date"]:
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    rows = [server_row(args.json_dir, server) for server in args.servers.split(",")]
    print_table(rows, args)
    with open(os.path.join(args.json_dir, "compare.json"), "w") as out:
        json.dump({"parameters": vars(args), "rows": rows}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
