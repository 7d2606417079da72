"""Reaching the real servers the tests need (Redis, Memcached, PostgreSQL).

Without a server those tests skip with the reason. With ``REQUIRE_SERVICES=1``
(the template's CI sets it) a missing server fails the run instead.
"""

import os
import socket
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
