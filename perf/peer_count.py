#!/usr/bin/python3
"""Counts back what a server stored after a ringstat-bench Graphite run, for perf/compare.sh.

Every sample of the shared workload has its own 10 s bucket (time t0 + 10*r, value (7*i + r) % 100
for counter i in round r), so each server must hold exactly `sent` points. Per counter it also
checks that the stored points are rounds 0..c-1 with the right values (their sum must equal the
prefix sum of the formula), which needs no ledger of what the bench sent.

Run it with Debian's /usr/bin/python3: only that one has the `whisper` module carbon needs.
Standard library only otherwise. Network traffic goes to 127.0.0.1 only.
"""

import argparse
import http.client
import json
import os
import random
import sys
import time
import urllib.parse

COUNTER_PREFIX = "rsb"
# Keys per POST /* request to ringstat: large enough to be quick, small enough for its body limit.
RINGSTAT_BATCH_KEYS = 1000
HTTP_TIMEOUT_S = 600
QUERY_REQUESTS_DEFAULT = 300
DAY_S = 86400


def counter_name(i):
    return "%s.h%04d.m%04d" % (COUNTER_PREFIX, i // 1000, i % 1000)


def counter_index(name):
    """Index of a workload name, or None for anything else (a peer's own metrics)."""
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != COUNTER_PREFIX:
        return None
    try:
        return int(parts[1][1:]) * 1000 + int(parts[2][1:])
    except ValueError:
        return None


def prefix_sum(i, rounds):
    """Sum of (7*i + r) % 100 for r in [0, rounds): full cycles of 100 add 4950 each."""
    full, rest = divmod(rounds, 100)
    base = (7 * i) % 100
    return full * 4950 + sum((base + r) % 100 for r in range(rest))


def connect(host_port):
    host, port = host_port.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=HTTP_TIMEOUT_S)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError("%s %s -> %d: %s" % (method, path[:120], response.status, data[:300]))
    return data


def count_ringstat(args):
    """POST /* in batches; each compact bucket is [time,count,min,max,sum,sumsq,avg,sdev]."""
    conn = connect(args.http)
    per_counter = {}
    stop = int(time.time()) + 60
    for first in range(0, args.counters, RINGSTAT_BATCH_KEYS):
        keys = [counter_name(i) for i in range(first, min(first + RINGSTAT_BATCH_KEYS, args.counters))]
        body = json.dumps({"keys": keys, "start": args.t0, "stop": stop, "maxSamples": 0,
                           "compact": True})
        reply = json.loads(request(conn, "POST", "/*", body, {"Content-Type": "application/json"}))
        for key in keys:
            series = reply.get(key)
            if not isinstance(series, dict):
                continue
            count = 0
            total = 0.0
            for bucket in series.get("data", []):
                count += int(bucket[1])
                total += float(bucket[4])
            if count:
                per_counter[counter_index(key)] = (count, total)
    return per_counter


def vm_instant_vector(conn, query, at):
    path = "/api/v1/query?" + urllib.parse.urlencode({"query": query, "time": at, "nocache": 1})
    reply = json.loads(request(conn, "GET", path))
    result = {}
    for series in reply["data"]["result"]:
        index = counter_index(series["metric"].get("__name__", ""))
        if index is not None:
            result[index] = float(series["value"][1])
    return result


def count_victoria_metrics(args):
    conn = connect(args.http)
    at = int(time.time()) + 60
    window = "%ds" % (at - args.t0 + 60)
    selector = '{__name__=~"%s\\\\..*"}' % COUNTER_PREFIX
    # keep_metric_names: rollup functions drop __name__, which is the only label here.
    counts = vm_instant_vector(
        conn, "count_over_time(%s[%s]) keep_metric_names" % (selector, window), at)
    sums = vm_instant_vector(
        conn, "sum_over_time(%s[%s]) keep_metric_names" % (selector, window), at)
    return {i: (int(c), sums.get(i, 0.0)) for i, c in counts.items() if c}


def count_carbon(args):
    import whisper  # Debian's python3-whisper; only this server needs it.

    per_counter = {}
    until = int(time.time()) + 60
    root = os.path.join(args.whisper_dir, COUNTER_PREFIX)
    for directory, _, files in os.walk(root):
        for file_name in files:
            if not file_name.endswith(".wsp"):
                continue
            path = os.path.join(directory, file_name)
            relative = os.path.relpath(path, args.whisper_dir)[: -len(".wsp")]
            index = counter_index(relative.replace(os.sep, "."))
            if index is None:
                continue
            _, values = whisper.fetch(path, args.t0 - 10, until)
            present = [v for v in values if v is not None]
            if present:
                per_counter[index] = (len(present), float(sum(present)))
    return per_counter


def count_influxdb(args):
    conn = connect(args.http)
    query = ("SELECT count(value), sum(value) FROM %s WHERE time >= %ds GROUP BY host, metric"
             % (COUNTER_PREFIX, args.t0 - 10))
    path = "/query?" + urllib.parse.urlencode({"db": "graphite", "q": query, "epoch": "s"})
    reply = json.loads(request(conn, "GET", path))
    per_counter = {}
    for statement in reply.get("results", []):
        if "error" in statement:
            raise RuntimeError("influxdb: " + statement["error"])
        for series in statement.get("series", []):
            tags = series.get("tags", {})
            index = counter_index("%s.%s.%s" % (COUNTER_PREFIX, tags.get("host", ""),
                                                tags.get("metric", "")))
            row = series["values"][0]
            if index is not None and row[1]:
                per_counter[index] = (int(row[1]), float(row[2]))
    return per_counter


COUNTERS = {"ringstat": count_ringstat, "victoria-metrics": count_victoria_metrics,
            "carbon": count_carbon, "influxdb": count_influxdb}


def command_count(args):
    started = time.monotonic()
    per_counter = COUNTERS[args.server](args)
    stored = sum(c for c, _ in per_counter.values())
    stored_sum = sum(s for _, s in per_counter.values())
    wrong = [counter_name(i) for i, (c, s) in sorted(per_counter.items())
             if abs(s - prefix_sum(i, c)) > 1e-6 * max(1.0, abs(s))]
    report = {
        "server": args.server,
        "stored": stored,
        "stored_sum": stored_sum,
        "counters_with_data": len(per_counter),
        "max_rounds": max((c for c, _ in per_counter.values()), default=0),
        "counters_with_wrong_values": len(wrong),
        "wrong_examples": wrong[:5],
        "count_seconds": round(time.monotonic() - started, 1),
    }
    json.dump(report, sys.stdout)
    print()


def percentile(sorted_values, fraction):
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def command_query(args):
    """Sequential one-day queries at 10 s on random counters over one keep-alive connection,
    timed from sending the request to the last byte of the body (JSON parsing excluded)."""
    end = args.t0 + 10 * args.rounds
    start = end - DAY_S
    conn = connect(args.http)
    rng = random.Random(args.seed)
    latencies_ms = []
    for _ in range(args.requests):
        name = counter_name(rng.randrange(args.counters))
        if args.server == "ringstat":
            path = "/%s?start=%d&end=%d&samples=0" % (name, start, end)
        else:
            path = "/api/v1/query_range?" + urllib.parse.urlencode(
                {"query": '{__name__="%s"}' % name, "start": start, "end": end, "step": 10,
                 "nocache": 1})
        began = time.perf_counter()
        request(conn, "GET", path)
        latencies_ms.append((time.perf_counter() - began) * 1000.0)
    latencies_ms.sort()
    json.dump({"server": args.server, "requests": len(latencies_ms),
               "p50_ms": round(percentile(latencies_ms, 0.50), 3),
               "p99_ms": round(percentile(latencies_ms, 0.99), 3),
               "max_ms": round(latencies_ms[-1], 3)}, sys.stdout)
    print()


def command_admin_flush(args):
    """ringstat's admin protocol: `flush`, then wait for the `ok` line."""
    import socket

    host, port = args.admin.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=HTTP_TIMEOUT_S) as sock:
        sock.sendall(b"flush\n")
        reply = b""
        while b"\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    line = reply.decode(errors="replace").strip()
    if not line.startswith("ok"):
        raise RuntimeError("admin flush answered %r" % line)


def command_http_get(args):
    parsed = urllib.parse.urlsplit(args.url)
    conn = connect(parsed.netloc)
    request(conn, "GET", parsed.path + ("?" + parsed.query if parsed.query else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    count = sub.add_parser("count", help="count the stored points of the workload")
    count.add_argument("server", choices=sorted(COUNTERS))
    count.add_argument("--http", help="host:port of the HTTP API")
    count.add_argument("--whisper-dir", help="carbon's LOCAL_DATA_DIR")
    count.add_argument("--counters", type=int, required=True)
    count.add_argument("--t0", type=int, required=True)
    query = sub.add_parser("query", help="p50/p99 of one-day queries at 10 s")
    query.add_argument("server", choices=["ringstat", "victoria-metrics"])
    query.add_argument("--http", required=True)
    query.add_argument("--counters", type=int, required=True)
    query.add_argument("--t0", type=int, required=True)
    query.add_argument("--rounds", type=int, required=True, help="the data ends at t0 + 10*rounds")
    query.add_argument("--requests", type=int, default=QUERY_REQUESTS_DEFAULT)
    query.add_argument("--seed", type=int, default=1)
    flush = sub.add_parser("admin-flush", help="ringstat admin `flush`")
    flush.add_argument("--admin", required=True)
    get = sub.add_parser("http-get", help="GET a URL, fail on a non-200 answer")
    get.add_argument("--url", required=True)
    args = parser.parse_args()
    handlers = {"count": command_count, "query": command_query,
                "admin-flush": command_admin_flush, "http-get": command_http_get}
    try:
        handlers[args.command](args)
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        print("peer_count.py %s: %s" % (args.command, error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
