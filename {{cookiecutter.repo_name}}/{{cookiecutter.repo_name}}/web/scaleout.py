"""Start-up check for running as many processes behind a load balancer.

The app keeps no per-process state that matters: sessions and CSRF tokens live
in signed cookies, cache invalidation goes through generations stored in the
shared cache backend, and no request writes local files. The one per-process
choice is an in-process cache (``cache.url = memory://``): each worker then has
its own, and a write invalidates only the worker that handled it, so the others
serve stale data for up to ``cache.expiration_time`` seconds. This module warns
about it.
"""

import itertools
import logging
import os
import shlex

log = logging.getLogger(__name__)

# How the servers are told their worker count: WEB_CONCURRENCY (scripts/serve.py),
# granian's own variable, gunicorn's extra arguments.
WORKER_VARIABLES = ("WEB_CONCURRENCY", "GRANIAN_WORKERS")
GUNICORN_WORKER_FLAGS = ("-w", "--workers")


def configured_workers(environ=os.environ):
    """The worker count the server was given, or 1 when none can be found."""
    for variable in WORKER_VARIABLES:
        value = environ.get(variable, "").strip()
        if value.isdigit():
            return int(value)
    arguments = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    for flag, value in itertools.pairwise(arguments):
        if flag in GUNICORN_WORKER_FLAGS and value.isdigit():
            return int(value)
    for argument in arguments:
        name, _, value = argument.partition("=")
        if name == "--workers" and value.isdigit():
            return int(value)
    return 1


def per_process_warnings(cache, workers):
    """Messages about settings that break when ``workers`` processes share load."""
    if workers <= 1:
        return []
    warnings = []
    if cache.keeps_data and not cache.shared:  # decided by caching/backends.py
        warnings.append(
            f"cache.url = memory:// with {workers} workers: each worker caches on "
            "its own and a write invalidates only the worker that handled it, so "
            "the others serve stale data for up to cache.expiration_time seconds. "
            "Use redis:// or memcached:// (CACHE_URL), or run one worker."
        )
    return warnings


def includeme(config):
    for message in per_process_warnings(config.registry.cache, configured_workers()):
        log.warning(message)
