"""gevent mode: slow requests overlap instead of queuing."""

import concurrent.futures
import time
import urllib.request
from pathlib import Path

import gevent.socket
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.workers.ggevent import GeventPyWSGIWorker

from {{ cookiecutter.repo_name }}.scripts import bench, serve
from {{ cookiecutter.repo_name }}.scripts.gevent_worker import (
    OneAcceptServer,
    TakeTurnsHandler,
)

from .services import free_port
from .test_serve import server_environ  # noqa: F401 (fixture)

ROOT = Path(__file__).parent.parent
SLOW_REQUESTS = 10
SLOW_SECONDS = 0.5


def test_concurrent_slow_requests_overlap(server_environ, tmp_path):  # noqa: F811
    """... and no control socket is opened where another gunicorn would too."""
    # production.ini plus one extra view that sleeps (tests/slow_view.py).
    ini = tmp_path / "production.ini"
    production = (ROOT / "production.ini").read_text()
    ini.write_text(
        production.replace(
            "[app:main]\n", "[app:main]\npyramid.includes = tests.slow_view\n", 1
        )
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # gunicorn >= 25.1 would open $XDG_RUNTIME_DIR/gunicorn.ctl (~/.gunicorn
    # without it): one path for every gunicorn of the user.
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir()
    environ = {
        **server_environ,
        "APP_INI": str(ini),
        "PYTHONPATH": ".",
        "XDG_RUNTIME_DIR": str(runtime_dir),
    }
    process = bench.start_server(port, environ)
    try:
        bench.wait_until_ready(base_url, process)

        def get(_):
            with urllib.request.urlopen(f"{base_url}/slow", timeout=30) as response:
                return response.read()

        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(SLOW_REQUESTS) as pool:
            bodies = list(pool.map(get, range(SLOW_REQUESTS)))
        elapsed = time.monotonic() - start
        opened = sorted(path.name for path in runtime_dir.iterdir())
    finally:
        assert bench.stop_server(process) == 0
    assert bodies == [b"slept"] * SLOW_REQUESTS
    # One worker: one after the other would take SLOW_REQUESTS * 0.5 s = 5 s.
    assert elapsed < SLOW_REQUESTS * SLOW_SECONDS / 2
    assert opened == []


def test_app_loads_in_the_master_with_pools_sized_to_worker_connections(ini_file):
    options = serve.server_options({"WORKER_CONNECTIONS": "250"}, cpu_count=2)
    assert options["preload_app"]
    server = serve.Server(options, ini_file)
    # gevent's pywsgi server, taking one connection per accept (not 100).
    assert server.cfg.worker_class.server_class.max_accept == 1
    assert issubclass(server.cfg.worker_class, GeventPyWSGIWorker)
    assert server.cfg.control_socket_disable  # none in ~/.gunicorn, shared per user
    app = server.load()
    assert app.registry.settings["cache.max_connections"] == "250"


def test_a_connection_with_requests_waiting_takes_turns_with_the_others():
    """A client whose next requests are already there (here: pipelined) does not
    hold the worker: a request arriving on another connection meanwhile is
    answered within two of its responses, not after all of them."""
    served, connections = [], {}

    def app(environ, start_response):
        served.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/a1":  # the other client's request arrives
            connections["b"].sendall(request("/b1"))
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = OneAcceptServer(
        ("127.0.0.1", 0),
        application=app,
        handler_class=TakeTurnsHandler,
        log=Logger(Config()),  # gunicorn's handler logs through it (access log off)
    )
    server.start()
    try:
        for name in "ab":
            # One request each first: both connections are then accepted and
            # their greenlets wait for the next request.
            connections[name] = gevent.socket.create_connection(server.address)
            connections[name].sendall(request(f"/{name}0"))
            read_responses(connections[name], 1)
        connections["a"].sendall(b"".join(request(f"/a{n}") for n in range(1, 21)))
        read_responses(connections["a"], 20)
        read_responses(connections["b"], 1)
    finally:
        server.stop()
    # Without turns: /b1 after /a20.
    assert served.index("/b1") < served.index("/a3"), served


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


def read_responses(conn, count):
    received = b""
    while received.count(b"\r\n\r\nok") < count:
        received += conn.recv(65536)
