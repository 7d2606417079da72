"""Server processes and the commands that start them: a free port, a process
group started and stopped by us, the project's ``make serve``, the baseline's
pserve, and the project's production server (its ``COMMAND`` and
``server_options``, read from ``<pkg>.<SERVE_MODULE>``) pointed at another app."""

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

from .build import flush_redis
from .config import APP_INI, BASELINE, BUILD, HOST, REPO_NAME, SERVE_MODULE, uses_redis
from .shell import log

READY_TIMEOUT = 180  # seconds a server gets to answer its ready path
READY_POLL = 0.2  # seconds between two ready checks
STOP_TIMEOUT = 15  # seconds between SIGTERM and SIGKILL
FETCH_TIMEOUT = 30  # seconds for one request of ours


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(port, path, headers=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=FETCH_TIMEOUT)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        # Header names lower-cased: granian sends them in lower case.
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        conn.close()


class Server:
    """A server process group started by us, stopped by its process group id."""

    def __init__(self, name, cmd, env, cwd, port, ready_path="/"):
        self.name, self.port = name, port
        self.log_path = BUILD / "logs" / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log(f"start {name} on :{port}: {' '.join(map(str, cmd))}")
        self.log_file = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(part) for part in cmd],
            env=env,
            cwd=cwd,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(ready_path)

    def _wait_ready(self, path, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                status, _, _ = fetch(self.port, path)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(READY_POLL)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_project(name, combo, project, env, redis_url):
    """The project's own ``make serve`` on a free port, its Redis flushed first."""
    port = free_port()
    env = dict(env, PORT=str(port))
    cmd = ["make", "-C", project, "serve", f"PORT={port}"]
    if uses_redis(combo):
        flush_redis(redis_url)
    return Server(name, cmd, env, project, port, ready_path="/healthz")


def baseline_cmd(python, port):
    """The baseline's pserve + waitress from its venv (``python``)."""
    return [python.parent / "pserve", BASELINE / APP_INI, f"http_port={port}"]


# ------------------------------------------- the project's production server

# Run in the project's venv: its production command and settings, as JSON.
READ_SERVE = (
    "import json, sys; from {module} import COMMAND, server_options; "
    "print(json.dumps({{'executable': sys.executable, 'command': COMMAND, "
    "'options': server_options({{}}, 1)}}, default=str))"
)


@dataclass(frozen=True)
class ProductionServer:
    """The project's production server as its serve module states it."""

    module: str  # <pkg>.<SERVE_MODULE>
    command: list  # COMMAND, the venv's python in place of sys.executable
    options: dict  # server_options({}, 1): no environment, one CPU

    @property
    def launcher(self):
        """COMMAND up to its module: ``python -m`` (or the gevent.monkey form)."""
        return self.command[: self.command.index(self.module)]

    @property
    def is_gunicorn(self):
        return "worker_class" in self.options  # granian's have blocking_threads


def production_server(project):
    """``COMMAND`` and ``server_options`` of the serve module, read in its venv."""
    module = f"{REPO_NAME}.{SERVE_MODULE}"
    python = project / ".venv/bin/python"
    found = json.loads(
        subprocess.run(
            [python, "-c", READ_SERVE.format(module=module)],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    command = [
        python if part == found["executable"] else part for part in found["command"]
    ]
    return ProductionServer(module, command, found["options"])


def app_server_cmd(project, app, mode, port):
    """The project's production server and settings, serving ``app`` instead.

    The project's COMMAND keeps its launcher (``python -m``, or ``python -m
    gevent.monkey --module`` so that patching comes first); granian's or
    gunicorn's own command line, with the project's settings, replaces the
    serve module.
    """
    server = production_server(project)
    options = server.options
    if server.is_gunicorn:
        args = [
            "gunicorn",
            "--worker-class",
            options["worker_class"],
            "--worker-connections",
            options["worker_connections"],
            "--workers",
            mode.workers,
            "--bind",
            f"{HOST}:{port}",
        ]
    else:
        args = [
            "granian",
            "--interface",
            "wsgi",
            "--host",
            HOST,
            "--port",
            port,
            "--workers",
            mode.workers,
            "--blocking-threads",
            options["blocking_threads"],
            "--backpressure",
            options["backpressure"],
        ]
    return [*server.launcher, *args, app]
