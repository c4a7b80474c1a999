"""A full disk: the daemon says so once in the log and counts it, keeps answering queries and
admin commands, refuses what it cannot keep as store_full instead of holding clients for ever,
stops on SIGTERM with everything it accepted durable, and resumes by itself when space returns.
The store lives on a small ext4 filesystem the test makes (a loop-mounted image, which needs
root); where mounting is not allowed the test is skipped with the reason."""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from daemon import FAKE_NOW, Daemon

DEADLINE_S = 90
IMAGE_MB = 256


def wait_for(condition, what, deadline_s=DEADLINE_S):
    Daemon.wait_for(condition, what, deadline_s)


def mount_small_filesystem():
    """(mount point, image) of a fresh ext4 filesystem, or raises SkipTest saying why not."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("the full-disk test mounts a loop image and needs root")
    if shutil.which("mkfs.ext4") is None:
        raise unittest.SkipTest("mkfs.ext4 is not installed (e2fsprogs)")
    workdir = tempfile.mkdtemp(prefix="ringstat-fulldisk-")
    image = os.path.join(workdir, "disk.img")
    mount_point = os.path.join(workdir, "mnt")
    os.mkdir(mount_point)
    with open(image, "wb") as f:
        f.truncate(IMAGE_MB << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True)
    mounted = subprocess.run(["mount", "-o", "loop", image, mount_point], capture_output=True)
    if mounted.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise unittest.SkipTest("mounting a loop image is not allowed here: " +
                                mounted.stderr.decode(errors="replace").strip())
    return workdir, mount_point


def fill(path):
    """Writes a file until the filesystem is full; returns its path."""
    filler = os.path.join(path, "filler")
    chunk = b"\0" * (1 << 20)
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass
    # Leave nothing: smaller writes take what the large ones could not.
    with open(filler, "ab") as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:
            pass
    return filler


class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.workdir, self.mount_point = mount_small_filesystem()
        self.store = os.path.join(self.mount_point, "store")
        self.daemon = None

    def tearDown(self):
        if self.daemon:
            self.daemon.kill()
        if subprocess.run(["umount", self.mount_point], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", self.mount_point], check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start(self):
        self.daemon = Daemon(store=self.store, ports=self.daemon.ports if self.daemon else None,
                             extra=["--log-level", "info"]).start()
        return self.daemon

    def stream(self, daemon, first, count, counters):
        """Sends `count` samples, one per line, spread over `counters` counters and 10 s buckets
        of the last days; returns the lines' (counter, value) in order."""
        lines = []
        sent = []
        for i in range(first, first + count):
            name = f"full.c{i % counters}"
            t = FAKE_NOW - 86400 * 5 + 10 * (i // counters)
            lines.append(f"{name} {t} 1\n")
            sent.append(name)
        with socket.create_connection(("127.0.0.1", daemon.ports["stat"])) as c:
            c.sendall("".join(lines).encode())
        return sent

    def counts(self, daemon, counters):
        total = 0
        for c in range(counters):
            status, body = daemon.get_json(
                f"/full.c{c}?start={FAKE_NOW - 86400 * 6}&end={FAKE_NOW}&samples=0")
            if status == 404:
                continue
            self.assertEqual(status, 200, body)
            total += sum(b["data"]["count"] for b in body["buckets"])
        return total

    def metric(self, name, labels=None):
        return self.daemon.metric(name, labels)

    def test_a_full_disk_is_reported_refused_survived_and_recovered_from(self):
        daemon = self.start()
        counters = 2000
        # Data that is safely stored before the disk fills.
        self.stream(daemon, 0, 20000, counters)
        wait_for(lambda: self.metric("ringstat_samples_accepted_total", {"listener": "stat_tcp"}) == 20000,
                 "the first samples to be read")
        daemon.flush()
        filler = fill(self.mount_point)

        # Keep sending until the daemon refuses samples as store_full (it must not hold them for
        # ever): pages and checkpoints need space that is not there.
        sent = 20000
        while self.metric("ringstat_samples_rejected_total",
                          {"listener": "stat_tcp", "reason": "store_full"}) == 0:
            self.assertLess(sent, 3_000_000, "no store_full rejection after 3 M samples")
            self.stream(daemon, sent, 50000, counters)
            sent += 50000
            wait_for(lambda: self.metric("ringstat_samples_accepted_total", {"listener": "stat_tcp"}) +
                     self.metric("ringstat_samples_rejected_total",
                                 {"listener": "stat_tcp", "reason": "store_full"}) >= sent,
                     "the daemon to read or refuse every sample sent")

        # Counted by operation and errno, logged once per episode (not once per retry).
        self.assertGreater(self.metric("ringstat_store_errors_total", {"op": "grow", "errno": "ENOSPC"}), 0)
        self.assertGreater(self.metric("ringstat_store_failing_shards"), 0)
        log = "".join(daemon.stderr_lines) + self.read_stderr(daemon)
        reports = [line for line in log.splitlines() if "ENOSPC" in line]
        self.assertTrue(reports, log[-2000:])
        self.assertLessEqual(len(reports), 4 * 2, reports)  # at most one a shard a minute
        # Queries, admin commands and flush still answer.
        self.assertEqual(daemon.get_json("/full.c1?samples=0")[0], 200)
        stats = daemon.admin("stats")
        self.assertIn("ok", stats)
        daemon.flush()
        accepted = self.metric("ringstat_samples_accepted_total", {"listener": "stat_tcp"})
        self.assertEqual(self.counts(daemon, counters), accepted)

        # Space returns: the daemon resumes by itself.
        os.unlink(filler)
        wait_for(lambda: self.metric("ringstat_store_failing_shards") == 0, "the store to recover")
        refused_before = self.metric("ringstat_samples_rejected_total",
                                     {"listener": "stat_tcp", "reason": "store_full"})
        daemon.send_tcp(f"full.after {FAKE_NOW - 10} 5\n")
        wait_for(lambda: daemon.get_json("/full.after")[0] == 200, "a sample after recovery")
        self.assertEqual(self.metric("ringstat_samples_rejected_total",
                                     {"listener": "stat_tcp", "reason": "store_full"}), refused_before)

        # Full again, then SIGTERM: it exits with what it accepted durable in the log. New
        # counters make the snapshot outgrow its slot, so the final checkpoint cannot be written.
        filler = fill(self.mount_point)
        grow_failures = self.metric("ringstat_store_errors_total", {"op": "grow", "errno": "ENOSPC"})
        first_new = 0
        while (self.metric("ringstat_store_errors_total", {"op": "grow", "errno": "ENOSPC"}) ==
               grow_failures):
            self.assertLess(first_new, 400000, "the snapshot never outgrew its slot")
            daemon.send_and_wait_read("".join(f"full.n{first_new + i} {FAKE_NOW - 100} 1\n"
                                              for i in range(20000)))
            first_new += 20000
        daemon.flush()
        accepted = self.metric("ringstat_samples_accepted_total", {"listener": "stat_tcp"})
        self.assertEqual(daemon.stop(timeout=DEADLINE_S), 0, "".join(daemon.stderr_lines)[-3000:])
        self.assertIn("final checkpoint could not be written", "".join(daemon.stderr_lines))
        os.unlink(filler)  # a start needs room for its recovery checkpoint
        daemon = self.start()
        # Each new counter got one sample; a refused sample created nothing (Invariant 7).
        accepted_new = self.metric("ringstat_counters") - counters - 1
        self.assertEqual(self.counts(daemon, counters) + 1 + accepted_new, accepted)
        self.assertEqual(self.metric("ringstat_pages_corrupt_total"), 0)
        self.assertEqual(daemon.stop(), 0)

    def read_stderr(self, daemon):
        """What the daemon has logged so far that start() did not read."""
        text = ""
        stream = daemon.process.stderr
        os.set_blocking(stream.fileno(), False)
        try:
            chunk = stream.read()
            if chunk:
                text = chunk.decode(errors="replace")
        finally:
            os.set_blocking(stream.fileno(), True)
        daemon.stderr_lines.append(text)
        return text


if __name__ == "__main__":
    unittest.main()
