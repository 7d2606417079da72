"""Database down: 503 with Retry-After and a clear message; back without a restart.

PostgreSQL goes down for real from the app's point of view: the app reaches it
through a local TCP forwarder that the test stops (every open connection is
cut) and starts again. SQLite is "down" while its directory does not exist.
"""

import contextlib
import socket
import threading

import pytest
import transaction
import webtest
from sqlalchemy import make_url

from {{ cookiecutter.repo_name }} import main
from {{ cookiecutter.repo_name }}.catalog.seed import seed
from {{ cookiecutter.repo_name }}.db import get_tm_session

from ..conftest import migrate


class TcpForwarder:
    """Forwards a fixed local port to the database; ``stop()`` cuts everything."""

    def __init__(self, target):
        self.target = target
        with socket.create_server(("127.0.0.1", 0)) as probe:
            self.port = probe.getsockname()[1]
        self.sockets = []

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pipe, args=(source, sink), daemon=True
                ).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def stop(self):
        for sock in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets = []


def app_on(app_settings, url):
    settings = {**app_settings, "sqlalchemy.url": url, "cache.url": "none://"}
    return webtest.TestApp(main({}, **settings), extra_environ={"HTTP_HOST": "x"})


def assert_unavailable(testapp):
    page = testapp.get("/items/1", status=503)
    assert page.headers["Retry-After"] == "5"
    assert page.content_type == "text/html"
    assert "The database cannot be reached" in page.text
    assert "Traceback" not in page.text
    api = testapp.get("/api/items/1", status=503)
    assert api.headers["Retry-After"] == "5"
    assert api.json["error"] == "database_unavailable"
    assert "no-store" in api.headers["Cache-Control"]
    testapp.get("/healthz", status=503)


def assert_available(testapp):
    assert testapp.get("/api/items/1", status=200).json["id"] == 1
    testapp.get("/healthz", status=200)


@pytest.fixture
def database_url(app_settings):
    return make_url(app_settings["sqlalchemy.url"])


def test_postgresql_down_then_back(app_settings, dbengine, database_url):
    if database_url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only (SQLite: see the next test)")
    forwarder = TcpForwarder((database_url.host, database_url.port or 5432))
    forwarder.start()
    url = database_url.set(host="127.0.0.1", port=forwarder.port)
    testapp = app_on(app_settings, url.render_as_string(hide_password=False))
    try:
        assert_available(testapp)
        forwarder.stop()
        assert_unavailable(testapp)
        forwarder.start()
        assert_available(testapp)  # the same app: no restart
    finally:
        forwarder.stop()


def test_sqlite_missing_then_created(app_settings, ini_file, tmp_path, database_url):
    if database_url.get_backend_name() != "sqlite":
        pytest.skip("SQLite only (PostgreSQL: see the previous test)")
    directory = tmp_path / "not-yet"
    url = f"sqlite:///{directory / 'app.sqlite'}"
    testapp = app_on(app_settings, url)
    assert_unavailable(testapp)
    directory.mkdir()
    migrate(ini_file, {**app_settings, "sqlalchemy.url": url})
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        seed(get_tm_session(testapp.app.registry["dbsession_factory"], tm), 3)
    assert_available(testapp)  # the same app: no restart
