"""kill -9 in a loop on one store: every sample acknowledged by a `flush` survives exactly once.

Each cycle starts the daemon on the same store, checks what the previous cycle left, streams
samples with explicit timestamps over several counters (every value distinct, so a duplicate
shows in the count and the sum), sends a marker on the same connection, waits until the marker is
visible (so everything before it was read), asks `flush` (its `ok` acknowledges all of it), keeps
streaming and is killed with SIGKILL at a random point. A restart may keep some of the
unacknowledged tail, but per counter only a prefix of what was sent, and never a duplicate.

RINGSTAT_CRASH_CYCLES sets the number of cycles (`make soak` runs 1000); the seed is printed and
RINGSTAT_CRASH_SEED replays it."""

import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import unittest

from daemon import Daemon, FAKE_NOW

CYCLES = int(os.environ.get("RINGSTAT_CRASH_CYCLES", "20"))
COUNTERS = 8
FIRST_STAMP = FAKE_NOW - 5000  # timestamps stay in [FIRST_STAMP, FIRST_STAMP + STAMP_SPAN)
STAMP_SPAN = 4000
QUERY = f"?start={FIRST_STAMP - 10}&end={FAKE_NOW}&samples=0"


class Ledger:
    """What was sent to each counter, in order, and how much of it a restart must still have."""

    def __init__(self):
        self.next_value = 1
        self.kept = [(0, 0)] * COUNTERS  # (count, sum) verified present after the last restart
        self.sent = [[] for _ in range(COUNTERS)]  # values sent since then, in order
        self.acknowledged = [0] * COUNTERS  # how many of `sent` a flush acknowledged

    def lines(self, count):
        """`count` samples spread over the counters, each value new."""
        text = []
        for _ in range(count):
            value = self.next_value
            self.next_value += 1
            counter = value % COUNTERS
            self.sent[counter].append(value)
            text.append(f"crash.c{counter} {FIRST_STAMP + value % STAMP_SPAN} {value}\n")
        return "".join(text)

    def acknowledge(self):
        self.acknowledged = [len(values) for values in self.sent]

    def check_and_roll(self, counter, count, total):
        """The restart holds `count` samples summing to `total`: those kept before, all that was
        acknowledged, and a prefix of the rest. Returns an error message, or None."""
        kept_count, kept_sum = self.kept[counter]
        tail = count - kept_count
        sent = self.sent[counter]
        if tail < self.acknowledged[counter] or tail > len(sent):
            return (f"crash.c{counter}: {count} samples, expected {kept_count} kept + between "
                    f"{self.acknowledged[counter]} and {len(sent)} of this cycle")
        if total != kept_sum + sum(sent[:tail]):
            return (f"crash.c{counter}: sum {total}, expected {kept_sum + sum(sent[:tail])} "
                    f"({count} samples: a duplicate or a gap)")
        self.kept[counter] = (count, total)
        self.sent[counter] = []
        self.acknowledged[counter] = 0
        return None


def totals(daemon, name):
    status, body = daemon.get_json(f"/{name}{QUERY}")
    if status == 404:
        return 0, 0
    assert status == 200, body
    return (sum(b["data"]["count"] for b in body["buckets"]),
            sum(b["data"]["sum"] for b in body["buckets"]))


class CrashLoopTest(unittest.TestCase):
    def setUp(self):
        self.store = tempfile.mkdtemp(prefix="ringstat-crash-")

    def tearDown(self):
        shutil.rmtree(self.store, ignore_errors=True)

    def test_kill_9_in_a_loop_keeps_every_acknowledged_sample_exactly_once(self):
        seed = int(os.environ.get("RINGSTAT_CRASH_SEED", random.randrange(1 << 32)))
        print(f"\ncrash loop: {CYCLES} cycles, RINGSTAT_CRASH_SEED={seed}", file=sys.stderr)
        rng = random.Random(seed)
        ledger = Ledger()
        for cycle in range(CYCLES):
            daemon = Daemon(store=self.store).start()
            try:
                self.check_restart(daemon, ledger, cycle, seed)
                self.stream_and_crash(daemon, ledger, cycle, rng)
            finally:
                daemon.kill()
                daemon.process.stdout.close()
                daemon.process.stderr.close()
        daemon = Daemon(store=self.store).start()
        try:
            self.check_restart(daemon, ledger, CYCLES, seed)
        finally:
            daemon.stop()

    def check_restart(self, daemon, ledger, cycle, seed):
        where = f"after cycle {cycle - 1} (RINGSTAT_CRASH_SEED={seed})"
        self.assertEqual(daemon.metric("ringstat_pages_corrupt_total"), 0, where)
        for counter in range(COUNTERS):
            count, total = totals(daemon, f"crash.c{counter}")
            error = ledger.check_and_roll(counter, count, total)
            self.assertIsNone(error, f"{where}: {error}")

    def stream_and_crash(self, daemon, ledger, cycle, rng):
        with socket.create_connection(("127.0.0.1", daemon.ports["stat"])) as connection:
            lines_sent = 0
            head = ledger.lines(rng.randrange(1000, 20000))
            # One cycle in eight is killed before anything of it is acknowledged.
            if rng.randrange(8) != 0:
                marker = f"crash.marker.c{cycle}"
                head += f"{marker} {FAKE_NOW - 1} 1\n"
                connection.sendall(head.encode())
                lines_sent += Daemon.count_lines(head)
                daemon.wait_for(lambda: totals(daemon, marker)[0] == 1, f"{marker} visible")
                daemon.flush()
                ledger.acknowledge()
                head = ""
            tail = head + ledger.lines(rng.randrange(0, 20000))
            connection.sendall(tail.encode())
            lines_sent += Daemon.count_lines(tail)
            # Killed once a random share of the tail has been read: anywhere from before the
            # first line to after the last.
            daemon.wait_read("stat_tcp", rng.randrange(lines_sent - Daemon.count_lines(tail),
                                                       lines_sent + 1))
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait()


if __name__ == "__main__":
    unittest.main()
