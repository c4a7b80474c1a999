"""The admin line protocol of docs/http-api.md over the wire."""

import socket
import unittest

from daemon import Daemon, FAKE_NOW, DaemonTestCase, read_until_closed


class AdminTest(DaemonTestCase):
    def test_help_lists_the_commands(self):
        lines = self.daemon.admin("help")
        self.assertEqual(lines[-1], "ok")
        text = "\n".join(lines)
        for command in ("stats", "flush", "faketime", "delete.ctr", "delete.pattern", "quit"):
            self.assertIn(command, text)

    def test_stats_has_the_required_keys(self):
        self.daemon.send_and_wait_read("admin.stats.counter 1\n")
        self.daemon.flush()
        lines = self.daemon.admin("stats")
        values = dict(line.split("=", 1) for line in lines[:-1])
        self.assertGreaterEqual(int(values["counters"]), 1)
        self.assertIn("connections", values)
        self.assertEqual(values["fake_time"], str(FAKE_NOW))

    def store_pages(self):
        """store_pages_levelN of admin `stats`, by level."""
        lines = self.daemon.admin("stats")
        values = dict(line.split("=", 1) for line in lines[:-1])
        return [int(values[f"store_pages_level{level}"]) for level in range(3)]

    def test_store_pages_count_each_level_of_a_paged_counter_until_it_is_deleted(self):
        before = self.store_pages()
        # 30 hours at 10 s: more than the 24 final buckets that start a page write at every level
        # of the default retention, so each level writes pages on its own (a flush only makes
        # the log durable).
        lines = "".join(f"admin.pages.counter {FAKE_NOW - 10 * i} 1\n" for i in range(10800))
        self.daemon.send_and_wait_read(lines)
        self.daemon.flush()
        self.daemon.wait_for(lambda: all(a > b for a, b in zip(self.store_pages(), before)),
                             "pages at every level")

        def metrics_agree():
            metrics = self.daemon.metrics()
            by_metrics = [metrics[f'ringstat_store_pages{{level="{level}"}}'] for level in range(3)]
            return by_metrics == self.store_pages()

        self.daemon.wait_for(metrics_agree, "ringstat_store_pages equal to stats")
        self.assertEqual(self.daemon.admin("delete.ctr admin.pages.counter")[-1], "ok")
        self.daemon.wait_for(lambda: self.store_pages() == before, "pages back to before")

    def test_unknown_command(self):
        lines = self.daemon.admin("frobnicate")
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith("huh?"))

    def test_faketime_moves_the_clock(self):
        self.assertEqual(self.daemon.admin(f"faketime {FAKE_NOW + 1000}")[-1], "ok")
        self.daemon.send_and_wait_read("admin.later 1\n")
        self.daemon.flush()
        status, body = self.daemon.get_json("/admin.later")
        self.assertEqual(status, 200)
        self.assertEqual(body["buckets"][0]["time"], (FAKE_NOW + 1000) // 10 * 10)
        self.assertEqual(self.daemon.admin(f"faketime {FAKE_NOW}")[-1], "ok")

    def test_delete_counters_and_patterns(self):
        self.daemon.send_and_wait_read("del.a 1\ndel.b 1\ndel.c.x 1\nkeep.me 1\n")
        self.daemon.flush()
        lines = self.daemon.admin("delete.ctr del.a,del.nothing")
        self.assertEqual(lines, ["del.a", "ok"])
        lines = self.daemon.admin("delete.pattern del.*")
        self.assertEqual(lines, ["del.b", "del.c.x", "ok"])
        for name in ("del.a", "del.b", "del.c.x"):
            self.assertEqual(self.daemon.get_json("/" + name)[0], 404)
        status, body = self.daemon.get_json("/?q=del.*")
        self.assertEqual(body["matching_names"], [])
        self.assertEqual(self.daemon.get_json("/keep.me")[0], 200)

    def test_quit_sends_pending_output_first(self):
        with socket.create_connection(("127.0.0.1", self.daemon.ports["admin"]), timeout=10) as c:
            c.sendall(b"stats\nquit\n")
            data = read_until_closed(c)
        self.assertIn(b"counters=", data)
        self.assertIn(b"ok", data)


if __name__ == "__main__":
    unittest.main()
