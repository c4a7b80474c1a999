"""docs/http-api.md over the wire: the JSON shapes, CSV, listing, POST, compression, CORS,
keep-alive and every error status. One daemon for the class, fake clock at FAKE_NOW."""

import http.client
import json
import socket
import unittest

from daemon import Daemon, FAKE_NOW, decompress, DaemonTestCase, read_until_closed

# The spec's ladder example lives in 1970, older than any retention; moved by whole days (every
# width of the ladder divides a day) it lands inside the 10 s level's ten days.
DAY = 86400
SHIFT = (FAKE_NOW // DAY) * DAY


class HttpTest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.daemon.send_and_wait_read("test.gauge 42\ntest.gauge 58\n*test.events 10\n"
                                       "web.batch 1\nweb.requests.latency 2\n")
        lines = "".join(f"ladder {SHIFT + t} 1\n" for t in range(1610, 2580, 10))
        cls.daemon.send_and_wait_read(lines)
        cls.daemon.flush()


    def test_get_counter_matches_the_spec_example_byte_for_byte(self):
        status, headers, body = self.daemon.request("GET", "/test.gauge")
        self.assertEqual(status, 200)
        self.assertEqual(body.decode(),
                         '{"buckets":[{"data":{"avg":50,"count":2,"max":58,"min":42,'
                         '"sdev":11.313708498984761,"sum":100,"sumsq":5128},"time":1795240560}],'
                         '"end":1795240570,"interval":10,"start":1795239660}')
        self.assertEqual(headers["access-control-allow-origin"], "*")
        self.assertIn("application/json", headers["content-type"])

    def test_counter_names_are_case_insensitive_and_a_leading_star_ignored(self):
        self.assertEqual(self.daemon.get_json("/TEST.Gauge")[0], 200)
        self.assertEqual(self.daemon.get_json("/*test.gauge")[0], 200)
        self.assertEqual(self.daemon.get_json("/test%2Egauge")[0], 200)  # paths are percent-decoded

    def test_ladder_example(self):
        status, body = self.daemon.get_json(f"/ladder?start={SHIFT + 1611}&end={SHIFT + 2509}&samples=45")
        self.assertEqual(status, 200)
        self.assertEqual((body["interval"], body["start"], body["end"]), (30, SHIFT + 1590, SHIFT + 2520))
        self.assertEqual(len(body["buckets"]), 31)

    def test_csv(self):
        status, headers, body = self.daemon.request("GET", "/test.gauge?format=csv")
        self.assertEqual(status, 200)
        self.assertIn("text/csv", headers["content-type"])
        lines = body.decode().split("\r\n")
        self.assertEqual(lines[0], "ISO Time,Unix Timestamp,Sample Count,Minimum,Maximum,Sum,"
                                   "Sum Squared,Average,Standard Deviation")
        self.assertTrue(lines[1].startswith("2026-11-21T05:56:00Z,1795240560,2,42,58,100,5128,50,"))

    def test_event_buckets_are_zero_filled_up_to_now(self):
        status, body = self.daemon.get_json(f"/test.events?start={FAKE_NOW - 100}&end={FAKE_NOW + 600}")
        self.assertEqual(status, 200)
        self.assertEqual(body["buckets"][-1]["time"], FAKE_NOW // 10 * 10)  # nothing after now
        self.assertEqual(body["buckets"][-1]["data"]["sum"], 1.0)

    def test_errors(self):
        cases = [
            ("/no.such.counter", 404, "No such counter no.such.counter"),
            ("/test.gauge?start=abc", 400, None),
            ("/test.gauge?start=-5", 400, None),
            ("/test.gauge?start=100&end=50", 400, None),
            ("/test.gauge?format=xml", 400, None),
        ]
        for path, expected, message in cases:
            with self.subTest(path=path):
                status, headers, body = self.daemon.request("GET", path)
                self.assertEqual(status, expected)
                error = json.loads(body)["error"]
                self.assertNotIn("\n", error)
                if message:
                    self.assertEqual(error, message)

    def test_post_several_counters(self):
        request = json.dumps({"keys": ["nope.nope", "test.gauge"], "start": 1795240450,
                              "stop": 1795240575})
        for path in ("/*", "/%2A", "/%2a"):
            status, _, body = self.daemon.request("POST", path, request,
                                                  {"Content-Type": "application/json"})
            self.assertEqual(status, 200)
            self.assertEqual(body.decode(),
                             '{"nope.nope":"Not found.","test.gauge":{"start":1795240450,'
                             '"end":1795240580,"interval":10,"data":[{"time":1795240560,"count":2,'
                             '"min":42,"max":58,"sum":100,"sumsq":5128,"avg":50,'
                             '"sdev":11.313708498984761}]},"start":1795240450,"stop":1795240580,'
                             '"interval":10}')

    def test_post_compact_and_missing_keys(self):
        request = json.dumps({"keys": ["test.gauge"], "start": 1795240450, "stop": 1795240575,
                              "compact": True})
        status, body = self.post(request)
        self.assertEqual(status, 200)
        self.assertEqual(body["test.gauge"]["data"][0][:6], [1795240560, 2, 42, 58, 100, 5128])
        status, body = self.post(json.dumps({"start": 1}))
        self.assertEqual((status, body), (400, {"error": "Missing 'keys' array of keys"}))
        status, _ = self.post("{not json")
        self.assertEqual(status, 400)

    def post(self, body):
        status, _, payload = self.daemon.request("POST", "/*", body)
        return status, json.loads(payload)

    def test_listing(self):
        status, body = self.daemon.get_json("/?q=web.*")
        self.assertEqual(status, 200)
        self.assertEqual(body, {
            "type_mapping": {"0": "gauge", "1": "counter", "2": "aggregate"},
            "pattern": "web.*",
            "matching_names": [
                {"is_leaf": True, "type": 0, "name": "web.batch"},
                {"is_leaf": False, "type": 2, "name": "web.requests"},
                {"is_leaf": True, "type": 0, "name": "web.requests.latency"}]})

    def test_gzip_and_deflate(self):
        for encoding in ("gzip", "deflate"):
            status, headers, body = self.daemon.request(
                "GET", f"/ladder?start={SHIFT + 1600}&end={SHIFT + 2600}&samples=0",
                headers={"Accept-Encoding": encoding})
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-encoding"), encoding)
            self.assertEqual(len(json.loads(decompress(headers, body))["buckets"]), 97)
        _, headers, _ = self.daemon.request("GET", "/test.gauge", headers={"Accept-Encoding": "gzip"})
        self.assertNotIn("content-encoding", headers)  # bodies of 1 KiB or less stay plain

    def test_keep_alive_and_connection_close(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.daemon.ports["http"], timeout=10)
        for _ in range(3):
            connection.request("GET", "/test.gauge")
            response = connection.getresponse()
            response.read()
            self.assertEqual(response.status, 200)
        connection.request("GET", "/test.gauge", headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        self.assertEqual(response.getheader("Connection"), "close")
        connection.close()

    def test_http_1_0_closes_by_default(self):
        with socket.create_connection(("127.0.0.1", self.daemon.ports["http"])) as c:
            c.sendall(b"GET /test.gauge HTTP/1.0\r\n\r\n")
            data = read_until_closed(c)
        self.assertTrue(data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200"))

    def test_pipelined_requests_are_answered_in_order(self):
        with socket.create_connection(("127.0.0.1", self.daemon.ports["http"])) as c:
            c.sendall(b"GET /test.gauge HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /no.such HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = read_until_closed(c)
        first = data.find(b"HTTP/1.1 200")
        second = data.find(b"HTTP/1.1 404")
        self.assertTrue(0 <= first < second, data[:300])

    def test_head_options_and_methods(self):
        status, headers, body = self.daemon.request("HEAD", "/test.gauge")
        self.assertEqual((status, body), (200, b""))
        self.assertGreater(int(headers["content-length"]), 0)
        status, headers, _ = self.daemon.request("OPTIONS", "/anything")
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-methods"], "GET, HEAD, POST, OPTIONS")
        self.assertEqual(headers["access-control-allow-headers"], "Content-Type")
        self.assertEqual(self.daemon.request("PUT", "/test.gauge", "x")[0], 405)
        self.assertEqual(self.daemon.request("POST", "/elsewhere", "{}")[0], 404)

    def test_a_100_kib_header_gets_413_and_the_daemon_keeps_serving(self):
        with socket.create_connection(("127.0.0.1", self.daemon.ports["http"])) as c:
            c.sendall(b"GET /test.gauge HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100 * 1024 + b"\r\n\r\n")
            data = c.recv(65536)
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:100])
        self.assertEqual(self.daemon.get_json("/test.gauge")[0], 200)

    def test_metrics_endpoint(self):
        status, headers, body = self.daemon.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode()
        self.assertTrue(text.endswith("\n"))
        for name in ("ringstat_samples_accepted_total", "ringstat_samples_rejected_total",
                     "ringstat_connections", "ringstat_counters", "ringstat_wal_written_bytes_total",
                     "ringstat_page_writes_total", "ringstat_uring_submissions_total",
                     "ringstat_uring_enobufs_total", "ringstat_http_requests_total",
                     "ringstat_http_request_duration_seconds_bucket"):
            self.assertIn(name, text)

    def test_web_ui_paths_are_not_served_yet(self):
        self.assertEqual(self.daemon.request("GET", "/")[0], 404)
        self.assertEqual(self.daemon.request("GET", "/files/../../etc/passwd")[0], 404)


if __name__ == "__main__":
    unittest.main()
