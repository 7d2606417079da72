"""Health checks: what ``/healthz`` asks besides the cache.

Each part that owns a backend registers one, e.g. ``db``::

    config.add_health_check("database", lambda request: ...)

A check fails when it raises (or misses ``/healthz``'s deadline); a failed
check makes ``/healthz`` answer 503, so load balancers stop sending traffic.
"""


def add_health_check(config, name, check):
    """``check(request)`` raises when ``name`` cannot serve requests."""
    config.registry.health_checks[name] = config.maybe_dotted(check)


def includeme(config):
    config.registry.health_checks = {}
    config.add_directive("add_health_check", add_health_check)
