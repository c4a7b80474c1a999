"""docs/protocols.md over the wire: the istatd line protocol on TCP and UDP, Graphite plaintext,
names, values, limits and bad input. One daemon for the class, fake clock at FAKE_NOW."""

import socket
import time
import unittest

from daemon import Daemon, FAKE_NOW, DaemonTestCase, read_until_closed


class IngestTest(DaemonTestCase):
    def buckets(self, name, start=FAKE_NOW - 900, end=FAKE_NOW + 60):
        status, body = self.daemon.get_json(f"/{name}?start={start}&end={end}")
        self.assertEqual(status, 200, body)
        return body["buckets"]

    def test_gauge_over_tcp_is_queryable_after_flush(self):
        self.daemon.send_and_wait_read("wire.gauge 42\nwire.gauge 58\n")
        self.daemon.flush()
        buckets = self.buckets("wire.gauge")
        self.assertEqual(len(buckets), 1)
        self.assertEqual(buckets[0]["data"]["count"], 2)
        self.assertEqual(buckets[0]["data"]["sum"], 100)
        self.assertEqual(buckets[0]["time"], FAKE_NOW // 10 * 10)

    def test_explicit_timestamp_and_preaggregated_bucket(self):
        t = FAKE_NOW - 300
        self.daemon.send_and_wait_read(f"wire.timed {t} 7\nwire.agg {t} 30 500 5 20 3\n")
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.timed")[0]["time"], t // 10 * 10)
        data = self.buckets("wire.agg")[0]["data"]
        self.assertEqual((data["count"], data["sum"], data["min"], data["max"], data["sumsq"]), (3, 30, 5, 20, 500))

    def test_event_counter_stores_a_rate(self):
        self.daemon.send_and_wait_read("*wire.hits 1\n*wire.hits 1\n*wire.hits 3\n")
        self.daemon.flush()
        bucket = [b for b in self.buckets("wire.hits") if b["data"]["sum"] != 0]
        self.assertEqual(len(bucket), 1)
        self.assertEqual(bucket[0]["data"]["sum"], 0.5)
        self.assertEqual(bucket[0]["data"]["count"], 1)

    def test_caret_fan_out_and_normalisation(self):
        self.daemon.send_and_wait_read("CPU.Idle^Host.Web1^role.api 97.5\nEdge.Upper/Slash:Colon\"Q 1\n")
        self.daemon.flush()
        self.assertEqual(self.buckets("cpu.idle.host.web1")[0]["data"]["sum"], 97.5)
        self.assertEqual(self.buckets("cpu.idle.role.api")[0]["data"]["sum"], 97.5)
        self.assertEqual(len(self.buckets("edge.upper_slash_colon_q")), 1)
        self.assertEqual(len(self.buckets("EDGE.UPPER_SLASH_COLON_Q")), 1)  # queries normalise too

    def test_adjacent_carets_terminate(self):
        self.daemon.send_and_wait_read("wire.base^^b 4\n")
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.base.b")[0]["data"]["sum"], 4)

    def test_bad_lines_are_counted_and_their_neighbours_kept(self):
        before = self.daemon.metric("ringstat_samples_rejected_total",
                                    {"listener": "stat_tcp", "reason": "bad_value"})
        self.daemon.send_and_wait_read("wire.ok1 1\nwire.nan nan\nwire.eight 1 2 3 4 5 6 7\n@reserved 1\n"
                             "wire..empty 1\nwire.ok2 2\n")
        self.daemon.flush()
        self.assertEqual(len(self.buckets("wire.ok1")), 1)
        self.assertEqual(len(self.buckets("wire.ok2")), 1)
        status, _ = self.daemon.get_json("/wire.nan")
        self.assertEqual(status, 404)
        after = self.daemon.metric("ringstat_samples_rejected_total",
                                   {"listener": "stat_tcp", "reason": "bad_value"})
        self.assertEqual(after, before + 1)
        self.assertGreaterEqual(self.daemon.metric("ringstat_ingest_reserved_lines_total"), 1)

    def test_a_one_megabyte_line_is_discarded_and_the_next_line_kept(self):
        self.daemon.send_and_wait_read(b"x" * (1 << 20) + b" 1\nwire.after.long 5\n")
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.after.long")[0]["data"]["sum"], 5)
        self.assertGreaterEqual(self.daemon.metric(
            "ringstat_samples_rejected_total", {"listener": "stat_tcp", "reason": "line_too_long"}), 1)

    def test_nul_bytes_in_a_name_are_normalised(self):
        self.daemon.send_and_wait_read(b"wire.nul\x00byte 3\n")
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.nul_byte")[0]["data"]["sum"], 3)

    def test_a_line_split_across_writes(self):
        lines = self.daemon.lines_read("stat_tcp") + 2
        with socket.create_connection(("127.0.0.1", self.daemon.ports["stat"])) as c:
            for piece in (b"wire.sp", b"lit 1", b"2\nwire.split2 ", b"7\n"):
                c.sendall(piece)
                time.sleep(0.05)  # pacing, so the pieces likely arrive as separate reads
        self.daemon.wait_read("stat_tcp", lines)
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.split")[0]["data"]["sum"], 12)
        self.assertEqual(self.buckets("wire.split2")[0]["data"]["sum"], 7)

    def test_last_line_without_newline_at_eof_counts(self):
        self.daemon.send_and_wait_read("wire.noeol 9")
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.noeol")[0]["data"]["sum"], 9)

    def test_udp_datagram_with_several_lines_and_no_final_newline(self):
        self.daemon.send_and_wait_read("wire.udp1 1\nx\nwire.udp2 2", udp=True)
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.udp1")[0]["data"]["sum"], 1)
        self.assertEqual(self.buckets("wire.udp2")[0]["data"]["sum"], 2)

    def test_graphite_tcp_and_udp(self):
        t = FAKE_NOW - 100
        self.daemon.send_and_wait_read(
            f"wire.graphite.tcp 4 {t}\nwire.graphite.now 5 -1\nwire.tagged;a=b 1 {t}\n", "graphite")
        self.daemon.send_and_wait_read(f"wire.graphite.udp 6 {t}.7", "graphite", udp=True)
        self.daemon.flush()
        self.assertEqual(self.buckets("wire.graphite.tcp")[0]["time"], t // 10 * 10)
        self.assertEqual(len(self.buckets("wire.graphite.now")), 1)
        self.assertEqual(self.buckets("wire.graphite.udp")[0]["data"]["sum"], 6)
        self.assertGreaterEqual(self.daemon.metric(
            "ringstat_samples_rejected_total", {"listener": "graphite_tcp", "reason": "tagged_name"}), 1)

    def test_gauge_from_the_future_is_rejected(self):
        self.daemon.send_and_wait_read(f"wire.future {FAKE_NOW + 61} 1\nwire.nearfuture {FAKE_NOW + 60} 1\n")
        self.daemon.flush()
        self.assertEqual(self.daemon.get_json("/wire.future")[0], 404)
        self.assertEqual(len(self.buckets("wire.nearfuture", end=FAKE_NOW + 120)), 1)

    def test_meta_lines_list_the_agent(self):
        lines = self.daemon.lines_read("stat_tcp") + 3
        with socket.create_connection(("127.0.0.1", self.daemon.ports["stat"])) as c:
            c.sendall(b"#hostname web42\n#version 1.2\nwire.agent 1\n")
            self.daemon.wait_read("stat_tcp", lines)
            status, body = self.daemon.get_json("/?a=1")
            self.assertEqual(status, 200)
            agents = [a for a in body["agents"] if a.get("hostname") == "web42"]
            self.assertEqual(len(agents), 1)
            self.assertEqual(list(agents[0].keys())[:2], ["hostname", "version"])
            self.assertTrue(agents[0]["_online"])
            self.assertTrue(agents[0]["_peer"].startswith("127.0.0.1:"))


if __name__ == "__main__":
    unittest.main()
