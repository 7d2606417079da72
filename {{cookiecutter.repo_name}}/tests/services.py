"""Reaching the real servers the tests need (Redis, Memcached, PostgreSQL).

Without a server those tests skip with the reason. With ``REQUIRE_SERVICES=1``
(the template's CI sets it) a missing server fails the run instead.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"


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
    """

    def __init__(self, command, port=None):
        executable = shutil.which(command[0])
        require(executable, f"{command[0]} is not installed")
        self.port = port or free_port()
        self.command = [
            executable,
            *(part.format(port=self.port) for part in command[1:]),
        ]
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not reachable("127.0.0.1", self.port, timeout=0.1):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                pytest.fail(f"{self.command[0]} did not start on port {self.port}")
            time.sleep(0.02)
        return self

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


def redis_server(*arguments, port=None):
    return ThrowawayServer(
        [
            *("redis-server", "--port", "{port}", "--save", "", "--appendonly", "no"),
            *arguments,
        ],
        port=port,
    )


def memcached_server(port=None):
    command = ["memcached", "-l", "127.0.0.1", "-p", "{port}", "-U", "0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command += ["-u", "root"]  # memcached refuses to run as root otherwise
    return ThrowawayServer(command, port=port)
