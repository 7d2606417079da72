"""``/healthz``: liveness plus the state of the database and the cache."""

from pyramid.view import view_config

from .. import catalog, httpcache


@view_config(route_name="healthz", renderer="json", http_cache=httpcache.NO_STORE)
def healthz(request):
    checks = {
        "database": _database(request),
        "cache": "ok" if request.cache.healthy else "degraded",
    }
    if checks["database"] != "ok":
        request.response.status_int = 503
    status = "ok" if all(state == "ok" for state in checks.values()) else "degraded"
    return {"status": status, "checks": checks}


def _database(request):
    try:
        catalog.check(request)
    except Exception:  # report any failure; the body says which check failed
        return "down"
    return "ok"
