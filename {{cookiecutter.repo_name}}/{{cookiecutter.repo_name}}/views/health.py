"""``/healthz``: liveness plus the state of each backend and of the cache.

All checks run at once (``fanout``): the probe costs the slowest round trip,
not their sum, and a hung backend costs at most ``TIMEOUT``. The checks are
the ones registered with ``config.add_health_check`` (``web/health.py``).
"""

from pyramid.view import view_config

from ..caching import policies
from ..clients import fanout

TIMEOUT = 2.0  # seconds; below a typical load-balancer probe timeout


@view_config(
    route_name="healthz",
    request_method="GET",
    renderer="json",
    http_cache=policies.NO_STORE,
)
def healthz(request):
    calls = {
        name: (lambda check=check: check(request))
        for name, check in request.registry.health_checks.items()
    }
    calls["cache"] = request.cache.ping
    results = fanout.gather(calls, timeout=TIMEOUT)
    checks = {
        name: "ok" if result.ok else "down"
        for name, result in results.items()
        if name != "cache"
    }
    if "down" in checks.values():
        request.response.status_int = 503
    # The cache is optional (fail-open): down means degraded, not unhealthy.
    cache = results["cache"]
    checks["cache"] = "ok" if cache.ok and cache.value else "degraded"
    status = "ok" if all(state == "ok" for state in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
