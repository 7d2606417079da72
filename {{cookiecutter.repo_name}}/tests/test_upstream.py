"""upstream.Upstream against a real local HTTP/1.1 server: reuse, retries, deadlines."""

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from {{ cookiecutter.repo_name }}.clients.upstream import Upstream, UpstreamError

from .services import free_port

SLOW = 10  # seconds before /slow answers; the client's timeout is 0.2 s
# /drip-* send their reply a byte every DRIP seconds: 4 s in all, every
# single read well within the client's timeout.
DRIP = 0.1
DRIPPED = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"x" * 20


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def setup(self):
        super().setup()
        self.server.connections.append(self.connection)

    def do_GET(self):
        if self.path.startswith("/drip"):
            headers_end = DRIPPED.index(b"\r\n\r\n") + 4
            start = 0 if self.path == "/drip-headers" else headers_end
            self.wfile.write(DRIPPED[:start])
            for byte in DRIPPED[start:]:
                time.sleep(DRIP)
                self.wfile.write(bytes([byte]))
            return
        if self.path.startswith("/slow"):
            time.sleep(SLOW)
        if self.path.startswith("/last"):
            self.close_connection = True
            self.send_response(200)
            self.send_header("Connection", "close")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._reply(self.path.encode())

    def do_HEAD(self):
        self._reply(b"")

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.posts.append(self.rfile.read(length))
        self._reply(b"created", status=201)

    def _reply(self, body, status=200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # The timeout test's client hangs up before the reply: not worth a traceback.
    server.handle_error = lambda request, client_address: None
    server.connections, server.posts = [], []

    def close_idle_connections():  # what a server does after its keep-alive timeout
        for connection in server.connections:
            with contextlib.suppress(OSError):  # already closed
                connection.shutdown(socket.SHUT_RDWR)

    server.close_idle_connections = close_idle_connections
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def test_calls_reuse_one_connection_per_thread(server):
    upstream = Upstream(server.url + "/api")

    replies = [upstream.get(f"/items/{number}") for number in range(5)]

    assert [reply.body for reply in replies] == [
        f"/api/items/{number}".encode() for number in range(5)
    ]
    assert replies[0].status == 200
    assert replies[0].headers["content-length"] == "12"
    assert len(server.connections) == 1


def test_each_thread_keeps_its_own_connection(server):
    upstream = Upstream(server.url)
    bodies = []

    def calls():
        bodies.extend(upstream.get("/x").body for _ in range(3))

    threads = [threading.Thread(target=calls) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert bodies == [b"/x"] * 12
    assert len(server.connections) == 4


def test_a_get_on_a_connection_the_server_closed_is_sent_again(server):
    upstream = Upstream(server.url)
    upstream.get("/first")
    server.close_idle_connections()

    assert upstream.get("/second").body == b"/second"
    assert len(server.connections) == 2


def test_a_connection_the_server_says_it_closes_is_not_reused(server):
    upstream = Upstream(server.url)

    assert upstream.get("/last").status == 200
    assert upstream.get("/next").body == b"/next"
    assert len(server.connections) == 2


def test_a_get_sent_again_to_a_server_gone_for_good_is_an_upstream_error(server):
    upstream = Upstream(server.url)
    upstream.get("/first")
    server.shutdown()
    server.server_close()
    server.close_idle_connections()

    with pytest.raises(UpstreamError, match="GET"):
        upstream.get("/second")


def test_a_post_on_a_connection_the_server_closed_is_not_sent_twice(server):
    upstream = Upstream(server.url)
    upstream.get("/first")
    server.close_idle_connections()

    with pytest.raises(UpstreamError, match="POST"):
        upstream.request("POST", "/items", body=b"once")

    assert server.posts == []
    assert upstream.request("POST", "/items", body=b"once").status == 201
    assert server.posts == [b"once"]


def test_a_slow_upstream_fails_within_the_timeout(server):
    upstream = Upstream(server.url, timeout=0.2)
    started = time.monotonic()

    with pytest.raises(UpstreamError, match="timed out"):
        upstream.get("/slow")

    # After the timeout, long before the reply (a loaded machine's slack).
    assert 0.15 < time.monotonic() - started < SLOW / 2
    assert upstream.get("/fast").body == b"/fast"  # a new connection


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"])
def test_the_timeout_bounds_the_whole_call_not_each_read(server, path):
    """A reply trickling in a byte at a time (each read quick, the whole 4 s)
    fails at the call's deadline instead of taking as long as the server does."""
    upstream = Upstream(server.url, timeout=0.3)
    started = time.monotonic()

    with pytest.raises(UpstreamError, match="timed out"):
        upstream.get(path)

    assert time.monotonic() - started < len(DRIPPED) * DRIP / 2
    assert upstream.get("/after").body == b"/after"  # a new connection


def test_nothing_listening_is_an_upstream_error():
    upstream = Upstream(f"http://127.0.0.1:{free_port()}")

    with pytest.raises(UpstreamError, match="Connection refused"):
        upstream.get("/")


@pytest.mark.parametrize("url", ["ftp://host", "pricing.internal:8080", "http://"])
def test_a_bad_url_is_refused_at_once(url):
    with pytest.raises(ValueError, match="expected http"):
        Upstream(url)
