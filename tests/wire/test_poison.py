"""Input that used to poison a store: a 7-field count that wraps, and event samples stamped far in
the future. Each must be refused and counted, and the daemon must keep serving, stop cleanly and
restart from what it wrote."""

import shutil
import socket
import tempfile
import unittest

from daemon import FAKE_NOW, Daemon

DEADLINE_S = 60


def wait_for(condition, what, deadline_s=DEADLINE_S):
    Daemon.wait_for(condition, what, deadline_s)


def rejected(daemon, reason, listener="stat_tcp"):
    return daemon.metric("ringstat_samples_rejected_total",
                         {"listener": listener, "reason": reason})


class PoisonTest(unittest.TestCase):
    def setUp(self):
        self.store = tempfile.mkdtemp(prefix="ringstat-poison-")

    def tearDown(self):
        shutil.rmtree(self.store, ignore_errors=True)

    def test_a_count_that_would_wrap_is_refused_and_the_store_restarts(self):
        daemon = Daemon(store=self.store).start()
        try:
            t = FAKE_NOW - 20
            daemon.send_tcp(f"p {t} 18446744073709551615 1e40 1 1 18446744073709551615\n"
                            f"p {t} 1 1 1 1 1\n"
                            f"p.neighbour {t} 3\n")
            wait_for(lambda: rejected(daemon, "overflow") == 1, "the overflow rejection")
            daemon.flush()
            status, body = daemon.get_json(f"/p?start={t - 10}&end={t + 10}&samples=0")
            self.assertEqual(status, 200, body)
            self.assertEqual([b["data"]["count"] for b in body["buckets"]], [18446744073709551615])
            self.assertEqual(daemon.get_json("/p.neighbour")[0], 200)
        finally:
            self.assertEqual(daemon.stop(), 0, "".join(daemon.stderr_lines))
        daemon = Daemon(store=self.store, ports=daemon.ports).start()
        try:
            status, body = daemon.get_json(f"/p?start={t - 10}&end={t + 10}&samples=0")
            self.assertEqual(status, 200, body)
            self.assertEqual(body["buckets"][0]["data"]["count"], 18446744073709551615)
            self.assertEqual(body["buckets"][0]["data"]["min"], 1)
        finally:
            self.assertEqual(daemon.stop(), 0, "".join(daemon.stderr_lines))

    def test_future_stamped_events_do_not_stall_ingest(self):
        daemon = Daemon(store=self.store).start()  # 16 MiB of staging
        try:
            lines = "".join(f"*evf.k{i % 100} {FAKE_NOW + 3600 + 10 * i} 1\n" for i in range(400000))
            with socket.create_connection(("127.0.0.1", daemon.ports["stat"])) as flood:
                flood.sendall(lines.encode())
            wait_for(lambda: rejected(daemon, "from_future") == 400000,
                     "every future event to be refused")
            # Another client's sample is stored, flush answers, and the daemon stops cleanly.
            daemon.send_tcp("evf.other 7\n")
            wait_for(lambda: daemon.get_json("/evf.other")[0] == 200, "the other client's sample")
            daemon.flush()
        finally:
            self.assertEqual(daemon.stop(), 0, "".join(daemon.stderr_lines))


if __name__ == "__main__":
    unittest.main()
