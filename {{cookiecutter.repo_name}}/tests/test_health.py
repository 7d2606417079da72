"""/healthz: every registered check runs (concurrently, see test_fanout)."""


def test_a_failing_check_is_503(testapp, app, monkeypatch):
    def down(request):
        raise ConnectionError("search service unreachable")

    monkeypatch.setitem(app.registry.health_checks, "search", down)
    response = testapp.get("/healthz", status=503)
    assert response.json["checks"]["search"] == "down"
    assert response.json["status"] == "degraded"


def test_registered_checks_and_the_cache_are_reported(testapp, app):
    response = testapp.get("/healthz", status=200)
    expected = {name: "ok" for name in app.registry.health_checks}
    assert response.json == {"status": "ok", "checks": {**expected, "cache": "ok"}}
{%- if cookiecutter.orm == "sqlalchemy" %}
    assert "database" in expected
{%- endif %}


def test_cache_down_is_degraded_not_unhealthy(testapp, app, monkeypatch):
    breaker = app.registry.cache.breaker
    monkeypatch.setattr(breaker, "_open", False)  # closed again afterwards
    monkeypatch.setattr(breaker, "retry_after", float("inf"))
    breaker.failed(ConnectionRefusedError("cache server down (test)"))
    response = testapp.get("/healthz", status=200)
    expected = {name: "ok" for name in app.registry.health_checks}
    assert response.json == {
        "status": "degraded",
        "checks": {**expected, "cache": "degraded"},
    }
