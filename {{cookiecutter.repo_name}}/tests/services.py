"""Reaching the real servers the tests need (Redis, Memcached, PostgreSQL).

Without a server those tests skip with the reason. With ``REQUIRE_SERVICES=1``
(the template's CI sets it) a missing server fails the run instead.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit

import pytest

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
# How Redis, Memcached and Python report a port another process holds (EADDRINUSE).
PORT_TAKEN = re.compile(r"address already in use", re.IGNORECASE)


def reachable(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def url_reachable(url, default_port):
    parts = urlsplit(url)
    servers = parts.netloc.split(",") if parts.scheme == "memcached" else [parts.netloc]
    for server in servers:
        host_port = server.rsplit("@", 1)[-1]
        host, _, port = (
            host_port.rpartition(":") if ":" in host_port else (host_port, "", "")
        )
        if not reachable(host or "127.0.0.1", int(port or default_port)):
            return False
    return True


def require(condition, reason):
    """Skip (or, with REQUIRE_SERVICES=1, fail) unless ``condition`` holds."""
    if condition:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1 turns this skip into a failure)")
    pytest.skip(reason)


def free_port(highest=None):
    """A free local port; ``highest`` for servers that also listen on port + N."""
    while True:
        candidate = random.randint(20000, highest) if highest else 0
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return sock.getsockname()[1]


class ThrowawayServer:
    """A server process on a free port that a test may stop, pause and restart.

    ``command`` is a list with ``{port}`` placeholders. Use as a context manager.
    Without a given ``port`` it takes a free one (below ``highest``, for servers
    that also listen on port + N), and a fresh one if the server exits because
    another process took it meanwhile. The server's output ends up in the
    failure message when it does not start.
    """

    ATTEMPTS = 5

    def __init__(self, command, port=None, highest=None):
        executable = shutil.which(command[0])
        require(executable, f"{command[0]} is not installed")
        self.template = [executable, *command[1:]]
        self.highest = highest
        self.fixed = port is not None  # chosen by the test, or already in use
        self.port = port or free_port(highest)
        self.process = None
        self.output = None

    @property
    def command(self):
        return [part.format(port=self.port) for part in self.template]

    def start(self):
        for _ in range(self.ATTEMPTS):
            problem = self._launch()
            if problem is None:
                self.fixed = True  # restarts keep the port the test knows
                return self
            if self.fixed or not PORT_TAKEN.search(problem):
                break
            self.port = free_port(self.highest)
        pytest.fail(f"{self.template[0]} did not start on port {self.port}: {problem}")

    def _launch(self):
        """None once the server answers; else why not, with its output."""
        if self.output:
            self.output.close()
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 (the server's lifetime)
        self.process = subprocess.Popen(
            self.command, stdout=self.output, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while self.process.poll() is None:
            if reachable("127.0.0.1", self.port, timeout=0.1):
                return None
            if time.monotonic() > deadline:
                self.stop()
                return f"no answer within 10 s\n{self.read_output()}"
            time.sleep(0.02)
        return f"exit status {self.process.returncode}\n{self.read_output()}"

    def read_output(self, limit=4000):
        self.output.seek(0)
        return self.output.read().decode(errors="replace")[-limit:]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def pause(self):
        """Stop answering but keep the port open: calls time out instead of failing."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        if self.process:
            self.resume()
        self.stop()
        if self.output:
            self.output.close()


def redis_server(*arguments, port=None, highest=None):
    return ThrowawayServer(
        [
            *("redis-server", "--port", "{port}", "--save", "", "--appendonly", "no"),
            *arguments,
        ],
        port=port,
        highest=highest,
    )


def memcached_server(port=None):
    command = ["memcached", "-l", "127.0.0.1", "-p", "{port}", "-U", "0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command += ["-u", "root"]  # memcached refuses to run as root otherwise
    return ThrowawayServer(command, port=port)


class ThrowawayCluster:
    """A Redis Cluster of ``masters`` masters with ``replicas`` replicas each,
    made of throwaway servers in ``directory`` and joined by
    ``redis-cli --cluster create``. Use as a context manager: every node is
    stopped on the way out, whatever happened inside.

    ``node-timeout`` is short (1 s) so that a replica takes over from a killed
    master within seconds, not the default 15 s.
    """

    NODE_TIMEOUT_MS = 1000

    def __init__(self, directory, masters=3, replicas=1):
        require(shutil.which("redis-cli"), "redis-cli is not installed")
        self.directory = directory
        self.size = masters * (1 + replicas)
        self.replicas = replicas
        self.nodes = []

    ATTEMPTS = 2

    def _node(self, directory, number):
        return redis_server(
            *("--cluster-enabled", "yes", "--appendonly", "no"),
            *("--cluster-node-timeout", str(self.NODE_TIMEOUT_MS)),
            # Replicas copy their master at once (the default waits 5 s), and
            # a cache's replica may take over however long it was cut off.
            *("--repl-diskless-sync-delay", "0"),
            *("--cluster-replica-validity-factor", "0"),
            *("--cluster-config-file", str(directory / f"nodes-{number}.conf")),
            *("--dir", str(directory)),
            highest=55535,  # the cluster bus listens on port + 10000
        )

    def __enter__(self):
        """Start the nodes and join them; once more with fresh nodes if
        ``redis-cli`` fails (a shared machine), then fail with its output."""
        try:
            for attempt in range(self.ATTEMPTS):
                problem = self._create(self.directory / f"attempt-{attempt}")
                if problem is None:
                    self.wait_until_ok()
                    return self
                self.__exit__()
            pytest.fail(f"redis-cli --cluster create failed: {problem}")
        except BaseException:
            self.__exit__()
            raise

    def _create(self, directory):
        """None once ``redis-cli --cluster create`` succeeded; else its output."""
        directory.mkdir()
        self.nodes = []
        for number in range(self.size):  # one by one: __exit__ stops those up
            self.nodes.append(self._node(directory, number).start())
        done = subprocess.run(
            [
                "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                *("--cluster-replicas", str(self.replicas), "--cluster-yes"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode == 0:
            return None
        return f"exit status {done.returncode}\n{done.stdout[-3000:]}{done.stderr}"

    def __exit__(self, *exc_info):
        for node in self.nodes:
            node.__exit__()

    def cli(self, node, *command):
        """A ``redis-cli`` command's output from one node, as text."""
        done = subprocess.run(
            ["redis-cli", "-p", str(node.port), *command],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return done.stdout

    def running(self):
        return [node for node in self.nodes if node.process.poll() is None]

    def replicas_in_sync(self):
        """Has every running replica a live link to its master?"""
        for node in self.running():
            replication = self.cli(node, "info", "replication")
            if "role:slave" in replication and "link_status:up" not in replication:
                return False
        return True

    def masters(self):
        """The running nodes that are masters now (owning slots)."""
        found = []
        for node in self.running():
            for line in self.cli(node, "cluster", "nodes").splitlines():
                fields = line.split()
                if "myself" in fields[2] and "master" in fields[2] and fields[8:]:
                    found.append(node)
        return found

    def wait_until_ok(self, timeout=30):
        """Until every running node sees the cluster ``ok``, there are as many
        masters as made (after a failover: the replica has taken over) and
        every replica is linked to its master (a replica that never synced
        cannot take over)."""
        deadline = time.monotonic() + timeout
        while True:
            states = [self.cli(node, "cluster", "info") for node in self.running()]
            if all("cluster_state:ok" in state for state in states):
                masters = self.masters()
                if len(masters) == self.size // (1 + self.replicas) and (
                    self.replicas_in_sync()
                ):
                    return masters
            if time.monotonic() > deadline:
                pytest.fail(f"the cluster did not become ready: {states}")
            time.sleep(0.1)

    def client(self):
        """A plain cluster client (redis-py), to look at where keys are."""
        from redis.cluster import RedisCluster

        return RedisCluster(host="127.0.0.1", port=self.masters()[0].port)

    @property
    def url(self):
        return "redis+cluster://" + ",".join(
            f"127.0.0.1:{node.port}" for node in self.nodes
        )
