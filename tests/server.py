"""Starting a baked project's production server, as ``make serve`` does.

Shared by the root tests that need a real server process (nothing lost, HTTP
client cache): a free port, the production command for a concurrency mode,
waiting until ``/healthz`` answers, and stopping without leaving workers.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(python, package):
    """The project's production command (``COMMAND`` of its ``scripts/serve.py``,
    what ``make serve`` runs), read in its venv; HOST/PORT/WEB_CONCURRENCY from env."""
    done = subprocess.run(
        [
            str(python),
            "-c",
            f"import json; from {package}.scripts.serve import COMMAND; "
            "print(json.dumps(COMMAND))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def install(project):
    """The project's own set-up (``make`` target), with uv from this venv."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    # A uv venv instead of `python3 -m venv` (ensurepip alone takes ~10 s);
    # the Makefile then only installs the project into it.
    subprocess.run(
        [bin_dir / "uv", "venv", "--quiet", "--python", sys.executable, ".venv"],
        cwd=project,
        env=env,
        check=True,
    )
    subprocess.run(
        ["make", ".venv/.installed-base"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return project / ".venv" / "bin"


def wait_for(port, process, timeout=120, host="127.0.0.1"):
    """Until /healthz answers 200: listening is not enough, workers load later."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        connection = http.client.HTTPConnection(host, port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise AssertionError("the server did not start")


def stop(process, timeout=30):
    """SIGTERM (graceful shutdown), then SIGKILL if it does not end in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
