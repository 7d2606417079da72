"""Through the production server: body limit, slow uploads, wrong methods.

Bounded loops on 127.0.0.1 against ``make serve``'s command, one worker.
"""

import contextlib
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from {{ cookiecutter.repo_name }}.scripts import bench

from .test_serve import server_environ

MIB = 1024 * 1024
READERS = 2
BODY_TIMEOUT = 1.5
UPLOAD = b"POST /session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    environ = server_environ.__wrapped__(tmp_path_factory.mktemp("serve"))
    environ.update(
        {"MAX_BODY_READERS": str(READERS), "BODY_TIMEOUT": str(BODY_TIMEOUT)}
    )
    port = bench.free_port()
    process = bench.start_server(port, environ)
    try:
        bench.wait_until_ready(f"http://127.0.0.1:{port}", process)
        yield port, process
    finally:
        assert bench.stop_server(process) == 0


def workers_rss_mb(pid):
    """Resident memory of the server's processes below ``pid``, in MiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").iterdir():
            pending += [int(c) for c in (task / "children").read_text().split()]
        if current != pid:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) // 1024
    return total


def status_line(connection):
    return connection.recv(200).split(b"\r\n")[0]


def test_a_huge_chunked_body_is_a_413_without_memory_growth(server):
    port, process = server
    before = workers_rss_mb(process.pid)
    frame = b"100000\r\n" + b"x" * MIB + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(UPLOAD + b"Transfer-Encoding: chunked\r\n\r\n")
        connection.setblocking(False)
        sent = 0
        while sent < 100:  # at most 100 MiB
            try:
                answer = status_line(connection)
                break
            except BlockingIOError:
                pass
            try:
                connection.settimeout(5)
                connection.sendall(frame)
                sent += 1
            except OSError:  # the server closed: read its answer
                connection.settimeout(5)
                answer = status_line(connection)
                break
            connection.setblocking(False)
    assert b" 413 " in answer
    assert sent < 20
    assert workers_rss_mb(process.pid) - before < 20


def test_slow_uploads_leave_the_other_requests_served(server):
    port, _ = server
    uploads = []
    for _ in range(READERS + 6):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(UPLOAD + b"Content-Length: 1000000\r\n\r\n")
        uploads.append(connection)
    answers, probes = [], 0
    deadline = time.monotonic() + BODY_TIMEOUT + 2
    while time.monotonic() < deadline:
        for connection in uploads:
            # a byte each ~0.1 s, far from 1 MB; OSError: answered (503), closed
            with contextlib.suppress(OSError):
                connection.sendall(b"x")
        url = f"http://127.0.0.1:{port}/healthz"
        with urllib.request.urlopen(url, timeout=2) as response:
            probes += response.status == 200
        time.sleep(0.1)
    for connection in uploads:
        connection.settimeout(5)
        answers.append(status_line(connection))
        connection.close()
    assert probes >= 10
    assert sum(b" 503 " in answer for answer in answers) == 6
    assert sum(b" 408 " in answer for answer in answers) == READERS


def test_a_wrong_method_is_a_405_with_allow(server):
    port, _ = server
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)
    assert error.value.code == 405
    assert error.value.headers["Allow"] == "GET, HEAD"
