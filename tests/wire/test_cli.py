"""docs/cli.md: exit statuses and one-line messages, --version, a port in use."""

import socket
import subprocess
import tempfile
import shutil
import unittest

from daemon import BINARY, Daemon, free_ports


def run(*args):
    result = subprocess.run([BINARY, *args], capture_output=True, timeout=60)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


class CliTest(unittest.TestCase):
    def test_version(self):
        status, out, _ = run("--version")
        self.assertEqual(status, 0)
        self.assertRegex(out, r"\d+\.\d+\.\d+")

    def test_usage_errors_exit_2_with_one_line(self):
        store = tempfile.mkdtemp(prefix="ringstat-cli-")
        try:
            for args in (["serve"], ["serve", "--store", store, "--no-such-flag"],
                         ["serve", "--store", store, "--retention", "10s:xx"],
                         ["serve", "--store", store, "--listen-address", "not-an-address"],
                         ["serve", "--store", store, "--http-port", "70000"],
                         ["serve", "--store", store, "--stat-port", "18011"]):
                with self.subTest(args=args):
                    status, _, err = run(*args)
                    self.assertEqual(status, 2, err)
                    self.assertEqual(len(err.strip().splitlines()), 1, err)
        finally:
            shutil.rmtree(store, ignore_errors=True)

    def test_a_port_in_use_exits_1_naming_the_port(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            stat, graphite, admin = free_ports(3)
            ports = {"stat": stat, "graphite": graphite, "http": port, "admin": admin}
            daemon = Daemon(ports=ports)
            try:
                daemon.start(expect_ready=False)
                self.assertEqual(daemon.wait_exit(), 1)
                self.assertIn(str(port), "".join(daemon.stderr_lines))
            finally:
                daemon.cleanup()

    def test_config_file_values_and_command_line_precedence(self):
        store = tempfile.mkdtemp(prefix="ringstat-cli-")
        ports = dict(zip(("stat", "graphite", "http", "admin"), free_ports(4)))
        config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        # If the file won over the command line, the stat port would collide with the Graphite
        # port and the start would fail.
        config.write(f'# ringstat test config\nstat-port = {ports["graphite"]}\nlog-level = "debug"\n')
        config.close()
        try:
            daemon = Daemon(store=store, ports=ports, extra=["--config", config.name])
            daemon.start()
            try:
                self.assertEqual(daemon.get_json("/nothing")[0], 404)
            finally:
                daemon.stop()
        finally:
            shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
