"""The throwaway servers the tests start: a taken port, and a server that fails."""

import socket
import sys

import pytest

from . import services

# Any server that exits with "Address already in use" when its port is taken.
HTTP_SERVER = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"]


@pytest.fixture
def taken_port():
    """A port another process holds (bound, not listening: nothing answers)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def test_a_port_taken_before_the_server_binds_is_replaced(taken_port, monkeypatch):
    ports = iter([taken_port])
    free_port = services.free_port
    monkeypatch.setattr(
        services,
        "free_port",
        lambda highest=None: next(ports, None) or free_port(highest),
    )
    with services.ThrowawayServer(HTTP_SERVER) as server:
        assert server.port != taken_port
        assert services.reachable("127.0.0.1", server.port)
        server.stop()
        server.start()  # a restart keeps the port the test knows
        assert services.reachable("127.0.0.1", server.port)


def test_a_server_that_does_not_start_fails_with_its_output(taken_port):
    server = services.ThrowawayServer(HTTP_SERVER, port=taken_port)
    with pytest.raises(pytest.fail.Exception) as failure:
        server.start()
    message = str(failure.value)
    assert f"did not start on port {taken_port}: exit status 1" in message
    assert "Address already in use" in message
    server.__exit__(None, None, None)
