"""A ringstat daemon for wire tests: the real binary on 127.0.0.1 with free ports and a
temporary store, plus small clients for its protocols. Standard library only."""

import gzip
import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import zlib

BINARY = os.environ.get("RINGSTAT_BINARY", "build/cmd/ringstat")
START_TIMEOUT_S = 30
FAKE_NOW = 1795240565  # the spec's examples happen around this time


def free_ports(count):
    """`count` different ports, each free for both TCP and UDP on 127.0.0.1 right now. Every
    socket stays bound until all are chosen, so the kernel cannot hand out one port twice (the
    daemon refuses two of its ports on one number)."""
    held = []
    try:
        for _ in range(100 * count):
            if len(held) == 2 * count:
                break
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.bind(("127.0.0.1", 0))
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind(("127.0.0.1", tcp.getsockname()[1]))
            except OSError:
                tcp.close()
                udp.close()
                continue
            held += [tcp, udp]
        if len(held) < 2 * count:
            raise RuntimeError("no free ports")
        return [sock.getsockname()[1] for sock in held[::2]]
    finally:
        for sock in held:
            sock.close()


class Daemon:
    """Starts `ringstat serve`; stop() sends SIGTERM and returns the exit status."""

    def __init__(self, store=None, fake_time=FAKE_NOW, threads=2, extra=(), ports=None,
                 preexec_fn=None):
        self.preexec_fn = preexec_fn  # run in the child before exec (e.g. a lower RLIMIT_NOFILE)
        self.owns_store = store is None
        self.store = store or tempfile.mkdtemp(prefix="ringstat-wire-")
        self.ports = ports or dict(zip(("stat", "graphite", "http", "admin"), free_ports(4)))
        self.args = [
            BINARY, "serve", "--store", self.store, "--listen-address", "127.0.0.1",
            "--stat-port", str(self.ports["stat"]), "--graphite-port", str(self.ports["graphite"]),
            "--http-port", str(self.ports["http"]), "--admin-port", str(self.ports["admin"]),
            "--threads", str(threads), "--shards", "4", "--wal-mb", "4", "--staging-mb", "16",
            "--commit-interval-ms", "200",
        ]
        if fake_time:
            self.args += ["--fake-time", str(fake_time)]
        self.args += list(extra)
        self.process = None
        self.stderr_lines = []

    def start(self, expect_ready=True):
        # Unbuffered: a buffered reader could hold the `ready` line where select() cannot see it.
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        bufsize=0, preexec_fn=self.preexec_fn)
        if not expect_ready:
            return self
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            line = self._read_stderr_line(deadline)
            if line is None:
                break
            if "ready" in line:
                return self
        self.kill()
        raise RuntimeError("daemon did not become ready:\n" + "".join(self.stderr_lines))

    def _read_stderr_line(self, deadline):
        stream = self.process.stderr
        while time.monotonic() < deadline:
            ready, _, _ = select.select([stream], [], [], 0.1)
            if ready:
                line = stream.readline()
                if not line:
                    return None
                text = line.decode(errors="replace")
                self.stderr_lines.append(text)
                return text
            if self.process.poll() is not None:
                return None
        return None

    def wait_exit(self, timeout=30):
        status = self.process.wait(timeout)
        self.stderr_lines.append(self.process.stderr.read().decode(errors="replace"))
        return status

    def stop(self, timeout=60):
        self.process.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def cleanup(self):
        self.kill()
        if self.owns_store:
            shutil.rmtree(self.store, ignore_errors=True)

    # Clients.
    def send_tcp(self, data, port_name="stat", linger=False):
        with socket.create_connection(("127.0.0.1", self.ports[port_name])) as connection:
            connection.sendall(data if isinstance(data, bytes) else data.encode())
            if linger:
                time.sleep(0.1)

    def send_udp(self, data, port_name="stat"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(data if isinstance(data, bytes) else data.encode(),
                       ("127.0.0.1", self.ports[port_name]))

    def admin(self, command, timeout=30):
        """Sends one admin command; returns its output lines up to `ok` or the `huh?` line."""
        with socket.create_connection(("127.0.0.1", self.ports["admin"]), timeout=timeout) as c:
            c.sendall((command + "\n").encode())
            buffer = b""
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                lines = buffer.decode().replace("\r", "").split("\n")
                if "ok" in lines or any(line.startswith("huh?") for line in lines):
                    break
        return [line for line in buffer.decode().replace("\r", "").split("\n") if line]

    def flush(self):
        lines = self.admin("flush")
        assert lines and lines[-1] == "ok", lines
        return lines

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.ports["http"], timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), payload

    def get_json(self, path):
        status, _, payload = self.request("GET", path)
        return status, json.loads(payload) if payload else None

    def metric(self, name, labels=None):
        """The value of one sample in GET /metrics (0 if absent)."""
        _, _, payload = self.request("GET", "/metrics")
        wanted = name
        if labels:
            wanted += "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
        for line in payload.decode().splitlines():
            if line.startswith(wanted + " "):
                return float(line.split(" ")[1])
        return 0.0

    # Waiting for the daemon's state, never for a duration. `flush` covers the samples the daemon
    # had read before the command, so a test that sends and then flushes first waits until the
    # daemon has read what it sent.
    WAIT_DEADLINE_S = 60

    @staticmethod
    def wait_for(condition, what, deadline_s=WAIT_DEADLINE_S):
        """Polls `condition()` until it returns true; fails naming `what` after `deadline_s`."""
        deadline = time.monotonic() + deadline_s
        pause_s = 0.002
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {deadline_s} s")
            time.sleep(pause_s)
            pause_s = min(pause_s * 2, 0.1)

    @staticmethod
    def count_lines(data):
        """Lines in `data` as the daemon frames them: each newline ends one, and a last line
        without one counts too (TCP at the connection's end, UDP at the datagram's)."""
        data = data if isinstance(data, bytes) else data.encode()
        return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)

    def metrics(self):
        """Every sample of GET /metrics, keyed by its name with labels as printed."""
        _, _, payload = self.request("GET", "/metrics")
        samples = {}
        for line in payload.decode().splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                samples[key] = float(value)
        return samples

    def lines_read(self, listener):
        """Lines the daemon has taken off `listener` (stat_tcp, stat_udp, graphite_tcp,
        graphite_udp): each is either parsed or discarded whole by the framing."""
        samples = self.metrics()
        rejected = 'ringstat_samples_rejected_total{listener="%s",reason="%s"}'
        return (samples.get(f'ringstat_ingest_lines_total{{listener="{listener}"}}', 0)
                + samples.get(rejected % (listener, "line_too_long"), 0)
                + samples.get(rejected % (listener, "carry_exhausted"), 0))

    def wait_read(self, listener, lines):
        """Returns once `listener` has read `lines` lines in all since the daemon started."""
        self.wait_for(lambda: self.lines_read(listener) >= lines, f"{lines} lines read on {listener}")

    def send_and_wait_read(self, data, port_name="stat", udp=False):
        """Sends `data` on one TCP connection (or as one UDP datagram) and returns once the
        daemon has read every line of it."""
        listener = ("graphite" if port_name == "graphite" else "stat") + ("_udp" if udp else "_tcp")
        lines = self.lines_read(listener) + self.count_lines(data)
        if udp:
            self.send_udp(data, port_name)
        else:
            self.send_tcp(data, port_name)
        self.wait_read(listener, lines)


def read_until_closed(connection):
    """Every byte the peer sends until it closes the connection."""
    data = b""
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk


class DaemonTestCase(unittest.TestCase):
    """One daemon (fake clock at FAKE_NOW) shared by the tests of a class."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.cleanup()


def decompress(headers, payload):
    encoding = headers.get("content-encoding", "")
    if encoding == "gzip":
        return gzip.decompress(payload)
    if encoding == "deflate":
        return zlib.decompress(payload)
    return payload
