"""The production command: settings, start-up, /healthz, graceful shutdown, bench."""

import json
import os
import queue
import re
import secrets
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from pyramid.paster import get_appsettings

from {{ cookiecutter.repo_name }}.scripts import bench, serve
from {{ cookiecutter.repo_name }}.scripts.listening import local_url

from .services import free_port


@pytest.fixture
def server_environ(tmp_path):
    """Point production.ini at the test database and cache, one worker."""
    url = os.environ.get("TEST_DATABASE_URL") or get_appsettings("testing.ini").get(
        "sqlalchemy.url", ""
    )
    if not url.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    return {
        "DATABASE_URL": url,
        "CACHE_URL": os.environ.get("TEST_CACHE_URL", "memory://"),
        "WEB_CONCURRENCY": "1",
    }


def test_server_options_come_from_the_environment():
    options = serve.server_options(
        {"PORT": "8001", "WEB_CONCURRENCY": "3", "APP_INI": "production.ini"},
        cpu_count=8,
    )
    assert options["workers"] == 3
    assert str(options.get("port", options.get("bind"))).endswith("8001")
    assert not options.get("log_access", options.get("accesslog"))


{%- if cookiecutter.concurrency == "threads" %}


def test_threads_default_beyond_the_database_pool_and_follow_the_environment():
    options = serve.server_options({"APP_INI": "production.ini"}, cpu_count=1)
    assert options["blocking_threads"] == serve.DEFAULT_BLOCKING_THREADS == 128
    options = serve.server_options(
        {"APP_INI": "production.ini", "BLOCKING_THREADS": "8"}, cpu_count=1
    )
    assert options["blocking_threads"] == options["backpressure"] == 8
{%- endif %}


def test_workers_default_to_the_cpu_count():
    options = serve.server_options({"APP_INI": "production.ini"}, cpu_count=8)
    assert options["workers"] == 8


def test_production_command_serves_healthz_and_stops_on_sigterm(server_environ):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = bench.start_server(port, server_environ)
    try:
        bench.wait_until_ready(base_url, process)
        with urllib.request.urlopen(base_url + "/healthz", timeout=5) as response:
            assert response.status == 200
            assert "down" not in json.load(response)["checks"].values()
    finally:
        returncode = bench.stop_server(process)
    assert returncode == 0


def test_bench_runs_and_prints_a_row_per_route(server_environ, monkeypatch, capsys):
    for name, value in server_environ.items():
        monkeypatch.setenv(name, value)
    arguments = ["--duration", "0.3", "--connections", "2", "--tool", "python"]
    assert bench.main([*arguments, "--route", "/healthz", "--route", "/nope"]) == 0
    output = capsys.readouterr().out
    assert "req/s" in output
    assert "/healthz" in output
    assert "/nope" in output


def test_wrk_output_is_parsed():
    output = """
  Latency Distribution
     50%  812.00us
     75%    1.02ms
     90%    1.30ms
     99%    2.50s
  12345 requests in 10.00s, 2.00MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   1234.50
"""
    stats = bench.parse_wrk(output)
    assert stats.requests_per_second == 1234.5
    assert stats.latency_ms == {50: 0.812, 90: 1.3, 99: 2500.0}
    assert stats.errors == 7


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://localhost:6543/"),
        ("::", "http://localhost:6543/"),
        ("127.0.0.1", "http://127.0.0.1:6543/"),
        ("::1", "http://[::1]:6543/"),
    ],
)
def test_the_listening_line_names_an_address_to_open(host, url):
    assert local_url(host, 6543) == url


def lines_of(stream):
    """The lines ``stream`` prints, on a queue (read without blocking the test)."""
    lines = queue.Queue()

    def read():
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_console_script_serves_and_says_where_it_listens(server_environ):
    """``{{ cookiecutter.repo_name }}-serve`` (what ``make serve`` runs) prints
    one line with the address to open, and serves there."""
    port = free_port()
    script = Path(sys.executable).with_name("{{ cookiecutter.repo_name }}-serve")
    environ = {
        **os.environ,
        **server_environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECRET_KEY": secrets.token_urlsafe(32),
    }
    process = subprocess.Popen([script], env=environ, stderr=subprocess.PIPE, text=True)
    try:
        lines = lines_of(process.stderr)
        announced = None
        while announced is None:
            line = lines.get(timeout=60)
            assert line is not None, "the server stopped before listening"
            announced = re.search(r"listening on (\S+) \(1 worker;", line)
        url = announced.group(1)
        assert url == f"http://127.0.0.1:{port}/"
        bench.wait_until_ready(url.rstrip("/"), process)
    finally:
        assert bench.stop_server(process) == 0
