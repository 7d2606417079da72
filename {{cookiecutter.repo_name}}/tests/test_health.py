"""/healthz: both checks run (concurrently, see test_fanout), each reported."""

from {{ cookiecutter.repo_name }} import catalog


def test_database_down_is_503(testapp, monkeypatch):
    def down(request):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(catalog, "check", down)
    response = testapp.get("/healthz", status=503)
    assert response.json["checks"]["database"] == "down"
    assert response.json["status"] == "degraded"


def test_cache_down_is_degraded_not_unhealthy(testapp, app, monkeypatch):
    breaker = app.registry.cache.breaker
    monkeypatch.setattr(breaker, "_open", False)  # closed again afterwards
    monkeypatch.setattr(breaker, "retry_after", float("inf"))
    breaker.failed(ConnectionRefusedError("cache server down (test)"))
    response = testapp.get("/healthz", status=200)
    assert response.json == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "degraded"},
    }
