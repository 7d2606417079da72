"""Request bodies: a size limit and a read deadline before the app runs."""

import io
import time
import tracemalloc

import pytest
import webtest
from webob import Request

from {{ cookiecutter.repo_name }}.settings import AppSettings, SettingsError
from {{ cookiecutter.repo_name }}.web import bodies
from {{ cookiecutter.repo_name }}.web.security import SECURITY_HEADERS

LIMIT = 1024 * 1024


class Stream:
    """A body of ``size`` bytes, handed over ``chunk`` at a time, ``pause`` apart."""

    def __init__(self, size, chunk=64 * 1024, pause=0.0):
        self.left, self.chunk, self.pause = size, chunk, pause
        self.read_bytes = 0

    def read(self, size=-1):
        time.sleep(self.pause)
        size = min(self.left, self.chunk, self.left if size < 0 else size)
        self.left -= size
        self.read_bytes += size
        return b"x" * size


def send(app, method, path, stream, **environ):
    request = Request.blank(path, method=method, environ=environ)
    request.environ.update({"wsgi.input": stream, "HTTP_HOST": "example.com"})
    return request.get_response(app)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "GET"])
@pytest.mark.parametrize("path", ["/", "/session", "/healthz", "/nope", "/static/x"])
def test_a_declared_size_over_the_limit_is_a_413_before_anything_reads(
    app, method, path
):
    stream = Stream(LIMIT + 1)
    response = send(app, method, path, stream, CONTENT_LENGTH=str(LIMIT + 1))
    assert response.status_int == 413
    assert stream.read_bytes == 0


def test_a_streamed_body_is_cut_off_at_the_limit_with_bounded_memory(app):
    stream = Stream(200 * LIMIT)  # 200 MiB, chunked
    tracemalloc.start()
    try:
        chunked = {"HTTP_TRANSFER_ENCODING": "chunked"}
        response = send(app, "POST", "/session", stream, **chunked)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_int == 413
    assert stream.read_bytes <= LIMIT + 64 * 1024
    assert peak < 8 * LIMIT


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_body_on_a_method_without_one_is_still_guarded(app, method):
    streamed = {"HTTP_TRANSFER_ENCODING": "chunked"}
    chunked = send(app, method, "/", Stream(2 * LIMIT), **streamed)
    declared = send(app, method, "/", Stream(16), CONTENT_LENGTH="16")

    assert chunked.status_int == 413
    assert declared.status_int != 413


def test_a_body_within_the_limit_reaches_the_app_whole(testapp):
    token = testapp.get("/session").json["csrf_token"]
    body = f"note=hi&csrf_token={token}".encode()
    cookies = "; ".join(f"{name}={value}" for name, value in testapp.cookies.items())
    response = send(
        testapp.app,
        "POST",
        "/session",
        io.BytesIO(body),
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_COOKIE=cookies,
    )
    assert response.status_int == 200
    assert response.json["note"] == "hi"


def test_an_invalid_content_length_is_a_400(app):
    response = send(app, "POST", "/session", Stream(10), CONTENT_LENGTH="ten")
    assert response.status_int == 400


def test_a_body_slower_than_the_deadline_is_a_408(app):
    guard = bodies.BodyGuard(app.app, max_bytes=LIMIT, timeout=0.3, readers=4)
    stream = Stream(1000, chunk=1, pause=0.02)  # 50 bytes/s
    started = time.monotonic()
    response = send(guard, "POST", "/session", stream, CONTENT_LENGTH="1000")
    assert response.status_int == 408
    assert time.monotonic() - started < 0.3 + 0.2
    assert stream.read_bytes < 1000


def test_reads_follow_the_clients_pace():
    clock = iter(range(1000)).__next__  # one second per call

    class Trickle(Stream):
        def read(self, size=-1):
            assert size == 1  # never more than a second's worth
            return super().read(size)

    with pytest.raises(bodies.TooSlow):
        bodies.read_body(Trickle(10**6, chunk=1), 10**6, LIMIT, timeout=5, clock=clock)


def test_uploads_beyond_the_readers_get_a_503_at_once(app):
    guard = bodies.BodyGuard(app.app, max_bytes=LIMIT, timeout=5, readers=1)
    guard.readers.acquire()  # one slow upload in progress
    try:
        response = send(guard, "POST", "/session", Stream(10), CONTENT_LENGTH="10")
    finally:
        guard.readers.release()
    assert response.status_int == 503
    assert response.headers["Retry-After"] == "1"


def test_refusals_carry_the_security_headers_and_are_never_stored(app):
    guard = bodies.BodyGuard(app.app, max_bytes=LIMIT, timeout=0.1, readers=1)
    uploads = [  # 400, 413, 408
        (Stream(10), "ten"),
        (Stream(LIMIT + 1), str(LIMIT + 1)),
        (Stream(10, chunk=1, pause=0.2), "10"),
    ]
    refusals = [send(guard, "POST", "/", s, CONTENT_LENGTH=n) for s, n in uploads]
    guard.readers.acquire()  # 503: no reader free
    try:
        refusals.append(send(guard, "POST", "/", Stream(10), CONTENT_LENGTH="10"))
    finally:
        guard.readers.release()
    assert [response.status_int for response in refusals] == [400, 413, 408, 503]
    for response in refusals:
        assert response.headers["Cache-Control"] == "no-store"
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value


def test_requests_without_a_body_pass_untouched(app):
    guard = bodies.BodyGuard(app.app, max_bytes=1, timeout=5, readers=1)
    guard.readers.acquire()
    try:
        assert webtest.TestApp(guard).get("/healthz", status="*").status_int != 503
    finally:
        guard.readers.release()


@pytest.mark.parametrize(
    "key", ["app.max_body_bytes", "app.body_timeout", "app.max_body_readers"]
)
@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_limits_must_be_positive(key, value):
    with pytest.raises(SettingsError, match=key):
        AppSettings.from_settings({"app.environment": "testing", key: value})
