"""Bad input and many clients: each is answered or counted, the daemon keeps serving, nothing
else is lost."""

import os
import socket
import unittest

from daemon import Daemon, DaemonTestCase, read_until_closed


class RobustnessTest(DaemonTestCase):
    def count(self, name):
        status, body = self.daemon.get_json(f"/{name}?samples=0")
        self.assertEqual(status, 200, body)
        return sum(bucket["data"]["count"] for bucket in body["buckets"])

    def test_garbage_bytes_do_not_hurt_other_clients(self):
        self.daemon.send_and_wait_read(os.urandom(64 * 1024))
        self.daemon.send_and_wait_read(os.urandom(1400), udp=True)
        self.daemon.send_tcp(os.urandom(4096), "http")
        self.daemon.send_tcp(os.urandom(4096), "admin")
        self.daemon.send_and_wait_read("robust.after.garbage 1\n")
        self.daemon.flush()
        self.assertEqual(self.count("robust.after.garbage"), 1)

    def test_half_open_connections_do_not_stall_others(self):
        idle = []
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", self.daemon.ports["stat"]))
            c.sendall(b"robust.half.open 1")  # no newline, connection left open
            idle.append(c)
        http_idle = socket.create_connection(("127.0.0.1", self.daemon.ports["http"]))
        http_idle.sendall(b"GET /robust HTTP/1.1\r\nHo")
        self.daemon.send_and_wait_read("robust.live 2\n")
        self.daemon.flush()
        self.assertEqual(self.count("robust.live"), 1)
        lines = self.daemon.lines_read("stat_tcp") + len(idle)
        for c in idle:
            c.close()
        http_idle.close()
        self.daemon.wait_read("stat_tcp", lines)  # each last line counts at EOF
        self.daemon.flush()
        self.assertEqual(self.count("robust.half.open"), 20)  # each last line counts at EOF

    def test_a_thousand_connections_at_once(self):
        lines = self.daemon.lines_read("stat_tcp") + 1000
        connections = []
        for i in range(1000):
            c = socket.create_connection(("127.0.0.1", self.daemon.ports["stat"]))
            connections.append(c)
        for i, c in enumerate(connections):
            c.sendall(f"robust.many {i}\n".encode())
        for c in connections:
            c.close()
        self.daemon.wait_read("stat_tcp", lines)
        self.daemon.flush()
        self.assertEqual(self.count("robust.many"), 1000)

    def test_many_samples_over_many_counters_arrive_exactly(self):
        lines = "".join(f"robust.bulk.c{i % 500} {i}\n" for i in range(100000))
        self.daemon.send_and_wait_read(lines)
        self.daemon.flush()
        status, body = self.daemon.get_json("/?q=robust.bulk.*")
        self.assertEqual(len([n for n in body["matching_names"] if n["is_leaf"]]), 500)
        self.assertEqual(self.count("robust.bulk.c7"), 200)


if __name__ == "__main__":
    unittest.main()
