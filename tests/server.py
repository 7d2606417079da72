"""Starting a baked project's production server, as ``make serve`` does.

Shared by the root tests that need a real server process (nothing lost, HTTP
client cache): a free port, the production command for a concurrency mode,
waiting until ``/healthz`` answers, and stopping without leaving workers.
"""

import http.client
import json
import socket
import subprocess
import time


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


def wait_for(port, process, timeout=120):
    """Until /healthz answers 200: listening is not enough, workers load later."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
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
