"""The production server: granian (WSGI). Every server setting lives here.

    {{ cookiecutter.repo_name }}-serve

(the console script ``make serve`` runs; ``python -m
{{ cookiecutter.repo_name }}.scripts.serve`` is the same).

Environment (all optional):

* ``PORT`` (6543), ``HOST`` (0.0.0.0)
* ``WEB_CONCURRENCY``: worker processes; default one per CPU
* ``BLOCKING_THREADS``: Python threads per worker running views; default 128
  (or the database pool, ``pool_size + max_overflow``, if larger). See
  ``DEFAULT_BLOCKING_THREADS`` for the trade-off. granian's own default is 512.
* ``APP_INI`` (production.ini): the settings file ``wsgi.py`` loads
* ``ACCESS_LOG`` (off): ``1`` logs every request (costs ~10% on small views)
* ``SHUTDOWN_TIMEOUT`` (20): seconds in-flight requests get after SIGTERM
"""

import os
import sys

from pyramid.paster import get_appsettings
from pyramid.settings import asbool
{%- if cookiecutter.orm == "sqlalchemy" %}

from ..db.engine import engine_options
from .listening import announce
{%- else %}

from .listening import announce
{%- endif %}

# The production command (make serve; tests and bench start it too).
COMMAND = [sys.executable, "-m", "{{ cookiecutter.repo_name }}.scripts.serve"]
TARGET = "{{ cookiecutter.repo_name }}.wsgi:app"


# Threads per worker. Many requests hold no database connection while they
# wait: page-cache hits, views calling an upstream service or the cache. Sized
# to the pool (15), a worker served at most 15 of them at once however idle the
# CPU: a view waiting 50 ms on an upstream then tops out at 300 requests/s per
# worker; with 128 threads, at about 2,500. A thread that does need the database
# and finds the pool empty waits at most ``pool_timeout`` (10 s) and then
# answers 503 + Retry-After (``views/unavailable.py``), where it would have waited
# in granian's queue unbounded. The cost: 128 small stacks per worker, and more
# GIL switching when the work is CPU-bound (latency spreads; throughput barely
# moves).
DEFAULT_BLOCKING_THREADS = 128


def default_threads(settings):
    """Requests one worker can serve at once without waiting for a resource."""
{%- if cookiecutter.orm == "sqlalchemy" %}
    options = engine_options(settings)
    return max(DEFAULT_BLOCKING_THREADS, options["pool_size"] + options["max_overflow"])
{%- else %}
    # No database pool: threads wait only on the cache or upstream services.
    return int(settings.get("serve.blocking_threads", DEFAULT_BLOCKING_THREADS))
{%- endif %}


def server_options(environ, cpu_count):
    """Keyword arguments for ``granian.Granian``, from the environment and .ini."""
    from granian.constants import Interfaces

    ini = environ.get("APP_INI", "production.ini")
    settings = get_appsettings(ini, "main")
    threads = int(environ.get("BLOCKING_THREADS") or default_threads(settings))
    return {
        "target": TARGET,
        "interface": Interfaces.WSGI,
        "address": environ.get("HOST", "0.0.0.0"),
        "port": int(environ.get("PORT", "6543")),
        "workers": int(environ.get("WEB_CONCURRENCY") or cpu_count),
        "blocking_threads": threads,
        # Requests beyond the threads wait in granian's queue, not in Python.
        "backpressure": threads,
        "log_access": asbool(environ.get("ACCESS_LOG", False)),
        # SIGTERM: stop accepting, finish in-flight requests, then stop.
        "workers_kill_timeout": int(environ.get("SHUTDOWN_TIMEOUT", "20")),
        # A worker that dies (out of memory, segfault) is replaced.
        "respawn_failed_workers": True,
    }


def main():  # pragma: no cover - run in a subprocess by tests/test_serve.py
    from granian import Granian

    os.environ.setdefault("APP_INI", "production.ini")
    options = server_options(os.environ, os.cpu_count() or 1)
    server = Granian(**options)
    # Called once the socket is bound, before the workers start.
    server.on_startup(
        lambda: announce(options["address"], options["port"], options["workers"])
    )
    server.serve()


if __name__ == "__main__":  # pragma: no cover
    main()
