"""``/healthz``: liveness plus the state of the database and the cache.

Both checks run at once (``fanout``): the probe costs the slower of the two
round trips, not their sum, and a hung backend costs at most ``TIMEOUT``.
"""

from pyramid.view import view_config

from .. import catalog, fanout, httpcache

TIMEOUT = 2.0  # seconds; below a typical load-balancer probe timeout


@view_config(route_name="healthz", renderer="json", http_cache=httpcache.NO_STORE)
def healthz(request):
    results = fanout.gather(
        {
            "database": lambda: catalog.check(request),
            "cache": lambda: request.cache.ping(),
        },
        timeout=TIMEOUT,
    )
    checks = {
        "database": "ok" if results["database"].ok else "down",
        # The cache is optional (fail-open): down means degraded, not unhealthy.
        "cache": "ok" if results["cache"].ok and results["cache"].value else "degraded",
    }
    if checks["database"] != "ok":
        request.response.status_int = 503
    status = "ok" if all(state == "ok" for state in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
