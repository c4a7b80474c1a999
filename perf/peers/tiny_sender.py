#!/usr/bin/python3
"""A stand-in for `ringstat-bench ingest` while the bench is being written: sends the shared
Graphite workload (steady: explicit timestamps, one TCP connection, as fast as TCP allows) and
writes a small JSON with what it sent. It measures nothing on the server side.

perf/compare.sh uses it only when told to: RINGSTAT_BENCH=perf/peers/tiny_sender.py. It accepts
the bench's flags so the command line stays the same; flags it does not implement are ignored.
"""

import argparse
import json
import socket
import sys
import time

SEND_CHUNK_BYTES = 64 * 1024


def name(i):
    return "rsb.h%04d.m%04d" % (i // 1000, i % 1000)


def round_bytes(names, t0, r):
    t = t0 + 10 * r
    return "".join("%s %d %d\n" % (n, (7 * i + r) % 100, t) for i, n in enumerate(names)).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["ingest"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--counters", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--t0", type=int, required=True)
    parser.add_argument("--warmup", action="store_true")
    parser.add_argument("--json")
    args, ignored = parser.parse_known_args()
    if ignored:
        print("tiny_sender: ignoring %s" % " ".join(ignored), file=sys.stderr)
    host, port = args.target.rsplit(":", 1)
    names = [name(i) for i in range(args.counters)]
    sock = socket.create_connection((host, int(port)))
    rounds = 0
    if args.warmup:
        sock.sendall(round_bytes(names, args.t0, 0))
        rounds = 1
    warm_rounds = rounds
    began = time.monotonic()
    while time.monotonic() - began < args.duration:
        sock.sendall(round_bytes(names, args.t0, rounds))
        rounds += 1
    elapsed_s = time.monotonic() - began
    sock.close()
    timed = (rounds - warm_rounds) * args.counters
    report = {"tool": "tiny_sender", "samples_sent": rounds * args.counters,
              "timed_samples_sent": timed, "achieved_per_s": timed / elapsed_s,
              "rounds": rounds}
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
