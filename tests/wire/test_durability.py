"""Durability over real restarts: SIGTERM keeps everything, kill -9 keeps what was committed, a
store copied while the daemon runs recovers, and two daemons never share a store."""

import shutil
import signal
import tempfile
import unittest

from daemon import Daemon


def total_count(daemon, name):
    status, body = daemon.get_json(f"/{name}?samples=0")
    if status == 404:
        return 0
    return sum(bucket["data"]["count"] for bucket in body["buckets"])


class DurabilityTest(unittest.TestCase):
    def setUp(self):
        self.store = tempfile.mkdtemp(prefix="ringstat-durable-")

    def tearDown(self):
        shutil.rmtree(self.store, ignore_errors=True)

    def restart(self, daemon):
        return Daemon(store=self.store, ports=daemon.ports).start()

    def test_sigterm_then_restart_keeps_every_sample(self):
        daemon = Daemon(store=self.store).start()
        daemon.send_and_wait_read("".join(f"durable.term.c{i % 50} {i}\n" for i in range(5000)))
        daemon.send_and_wait_read("*durable.term.events 5\n")  # read, not flushed: kept anyway
        self.assertEqual(daemon.stop(), 0)
        daemon = self.restart(daemon)
        try:
            self.assertEqual(sum(total_count(daemon, f"durable.term.c{i}") for i in range(50)), 5000)
            self.assertEqual(total_count(daemon, "durable.term.events"), 1)
        finally:
            daemon.stop()

    def test_kill_9_keeps_every_committed_sample(self):
        daemon = Daemon(store=self.store).start()
        daemon.send_and_wait_read("".join(f"durable.kill {i}\n" for i in range(2000)))
        daemon.flush()  # covers what was read before it: committed
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait()
        daemon = self.restart(daemon)
        try:
            self.assertEqual(total_count(daemon, "durable.kill"), 2000)
            self.assertEqual(daemon.metric("ringstat_pages_corrupt_total"), 0)
        finally:
            daemon.stop()

    def test_a_store_copied_while_running_recovers(self):
        daemon = Daemon(store=self.store).start()
        daemon.send_and_wait_read("".join(f"durable.copy.c{i % 20} {i}\n" for i in range(3000)))
        daemon.flush()
        copy = tempfile.mkdtemp(prefix="ringstat-copy-")
        shutil.rmtree(copy)
        shutil.copytree(self.store, copy, ignore=shutil.ignore_patterns("LOCK"))
        daemon.send_tcp("durable.copy.late 1\n")
        daemon.stop()
        try:
            copied = Daemon(store=copy).start()
            try:
                self.assertEqual(sum(total_count(copied, f"durable.copy.c{i}") for i in range(20)), 3000)
            finally:
                copied.stop()
        finally:
            shutil.rmtree(copy, ignore_errors=True)

    def test_a_second_daemon_on_the_same_store_exits_1(self):
        daemon = Daemon(store=self.store).start()
        try:
            second = Daemon(store=self.store)
            second.start(expect_ready=False)
            self.assertEqual(second.wait_exit(), 1)
            self.assertIn("in use", "".join(second.stderr_lines))
        finally:
            daemon.stop()


if __name__ == "__main__":
    unittest.main()
