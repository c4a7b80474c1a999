"""Admin `flush` is a barrier over what was read before the command (spec/http-api.md, admin):
it answers while senders keep streaming into a congested staging pool, and what it covers is
visible once it has."""

import os
import socket
import threading
import time
import unittest

from daemon import Daemon, FAKE_NOW

SENDERS = 3
COUNTERS = 4000
SPREAD_S = int(os.environ.get("RINGSTAT_BARRIER_SPREAD_S", 2400))  # late timestamps
STREAM_S_MAX = 150  # a sender stops by itself after this long, whatever happens
FLUSH_DEADLINE_S = 60


def chunks(sender):
    """Pre-built lines for one sender: many counters, timestamps spread over the past hours, so
    nearly every sample opens a staged bucket and the small staging pool stays congested."""
    result = []
    for chunk in range(24):
        lines = []
        for k in range(8000):
            i = (sender * 24 + chunk) * 8000 + k
            stamp = FAKE_NOW - 60 - (i * 7919) % SPREAD_S
            lines.append(f"barrier.c{i % COUNTERS} {stamp} {i % 1000}\n")
        result.append("".join(lines).encode())
    return result


class Streamer:
    """Senders on their own connections, each looping over its chunks until told to stop."""

    def __init__(self, daemon):
        self.stop = threading.Event()
        self.streaming = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(daemon, chunks(s)), daemon=True)
                        for s in range(SENDERS)]

    def run(self, daemon, data):
        deadline = time.monotonic() + STREAM_S_MAX
        with socket.create_connection(("127.0.0.1", daemon.ports["stat"])) as connection:
            # A daemon holding back its input fills the socket: short timeouts let the loop see
            # `stop` instead of blocking in a send.
            connection.settimeout(0.2)
            index = 0
            while not self.stop.is_set() and time.monotonic() < deadline:
                chunk = memoryview(data[index % len(data)])
                index += 1
                while chunk and not self.stop.is_set() and time.monotonic() < deadline:
                    try:
                        chunk = chunk[connection.send(chunk):]
                    except socket.timeout:
                        continue
                    self.streaming.set()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def alive(self):
        return not self.stop.is_set() and all(thread.is_alive() for thread in self.threads)


class FlushBarrierTest(unittest.TestCase):
    def setUp(self):
        self.daemon = Daemon()
        # The smallest staging pool, so the spread timestamps keep the shards congested.
        self.daemon.args[self.daemon.args.index("--staging-mb") + 1] = os.environ.get("RINGSTAT_BARRIER_STAGING_MB", "1")
        self.daemon.start()

    def tearDown(self):
        self.daemon.stop(timeout=180)
        self.daemon.cleanup()

    def test_flush_answers_while_senders_keep_a_congested_daemon_busy(self):
        daemon = self.daemon
        with Streamer(daemon) as streamer:
            daemon.wait_for(streamer.streaming.is_set, "sender streaming")
            daemon.wait_for(lambda: daemon.metric("ringstat_backpressure_held_buffers_total") > 0,
                            "receive buffer held by back-pressure")
            lines = daemon.admin("flush", timeout=FLUSH_DEADLINE_S)
            self.assertEqual(lines, ["ok"])
            self.assertTrue(streamer.alive(), "the senders stopped before the flush answered")


if __name__ == "__main__":
    unittest.main()
