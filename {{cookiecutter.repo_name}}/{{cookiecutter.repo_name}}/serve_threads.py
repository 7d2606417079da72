"""The production server: granian (WSGI). Every server setting lives here.

    python -m {{ cookiecutter.repo_name }}.serve

(what ``make serve`` runs).

Environment (all optional):

* ``PORT`` (6543), ``HOST`` (0.0.0.0)
* ``WEB_CONCURRENCY``: worker processes; default one per CPU
* ``BLOCKING_THREADS``: Python threads per worker running views; default the
  database pool size (``pool_size + max_overflow``). A thread that finds the
  pool empty waits ``pool_timeout`` and fails, so more threads only queue.
  granian's own default is 512 threads per worker.
* ``APP_INI`` (production.ini): the settings file ``wsgi.py`` loads
* ``ACCESS_LOG`` (off): ``1`` logs every request (costs ~10% on small views)
* ``SHUTDOWN_TIMEOUT`` (20): seconds in-flight requests get after SIGTERM
"""

import os
import sys

from pyramid.paster import get_appsettings
from pyramid.settings import asbool
{%- if cookiecutter.orm == "sqlalchemy" %}

from .db.engine import engine_options
{%- endif %}

# The production command (make serve; tests and bench start it too).
COMMAND = [sys.executable, "-m", "{{ cookiecutter.repo_name }}.serve"]
TARGET = "{{ cookiecutter.repo_name }}.wsgi:app"


def pool_capacity(settings):
    """Requests one worker can serve at once without waiting for a resource."""
{%- if cookiecutter.orm == "sqlalchemy" %}
    options = engine_options(settings)
    return options["pool_size"] + options["max_overflow"]
{%- else %}
    # No database pool to match: enough threads for views waiting on the cache.
    return int(settings.get("serve.blocking_threads", 16))
{%- endif %}


def server_options(environ, cpu_count):
    """Keyword arguments for ``granian.Granian``, from the environment and .ini."""
    from granian.constants import Interfaces

    ini = environ.get("APP_INI", "production.ini")
    settings = get_appsettings(ini, "main")
    threads = int(environ.get("BLOCKING_THREADS") or pool_capacity(settings))
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
    Granian(**server_options(os.environ, os.cpu_count() or 1)).serve()


if __name__ == "__main__":  # pragma: no cover
    main()
