"""The production server: gunicorn with gevent's WSGI server. Every setting lives here.

    {{ cookiecutter.repo_name }}-serve

(the console script ``make serve`` runs). It starts
``python -m gevent.monkey --module {{ cookiecutter.repo_name }}.scripts.serve``
(``COMMAND``), which is the same command.

``gevent.monkey`` patches the standard library *before* this module, gunicorn or
the app import anything: sockets, ``ssl``, locks and ``time.sleep`` created
later are all cooperative. psycopg 3, redis-py and pymemcache then yield to
other requests while they wait on the network.

The app is loaded once in the master (``preload_app``) and forked: templates
are compiled once and pages shared copy-on-write. Connections must not cross a
fork; ``db/engine.py`` disposes the engine's pool in each child
(``os.register_at_fork``) and redis-py resets its pool when the pid changes.

Environment (all optional):

* ``PORT`` (6543), ``HOST`` (0.0.0.0)
* ``WEB_CONCURRENCY``: worker processes; default one per CPU
* ``WORKER_CONNECTIONS`` (1000): concurrent requests per worker. The cache's
  connection pool is sized to match (a Redis pool smaller than this raises
  "Too many connections" under load); requests beyond the database pool wait
  for a connection (``sqlalchemy.pool_timeout``) instead of opening more.
* ``APP_INI`` (production.ini), ``ACCESS_LOG`` (off), ``SHUTDOWN_TIMEOUT`` (20)
"""

import os
import sys

from gunicorn.app.base import BaseApplication
from pyramid.paster import get_appsettings, setup_logging
from pyramid.settings import asbool

from .listening import announce

# The production command (make serve; tests and bench start it too).
COMMAND = [
    sys.executable,
    "-m",
    "gevent.monkey",
    "--module",
    "{{ cookiecutter.repo_name }}.scripts.serve",
]


def server_options(environ, cpu_count):
    """gunicorn settings, from the environment."""
    return {
        "bind": f"{environ.get('HOST', '0.0.0.0')}:{environ.get('PORT', '6543')}",
        "workers": int(environ.get("WEB_CONCURRENCY") or cpu_count),
        # gevent's own pywsgi server in each worker: measured 45% more requests/s
        # than gunicorn's "gevent" worker on a hello-world, 16% more on a view
        # waiting on an upstream (gunicorn parses each request in Python).
        # ... one connection per accept, so workers share them (gevent_worker.py).
        "worker_class": f"{__package__}.gevent_worker.BalancedPyWSGIWorker",
        "worker_connections": int(environ.get("WORKER_CONNECTIONS", "1000")),
        "preload_app": True,
        # SIGTERM: stop accepting, finish in-flight requests, then stop.
        "graceful_timeout": int(environ.get("SHUTDOWN_TIMEOUT", "20")),
        "accesslog": "-" if asbool(environ.get("ACCESS_LOG", False)) else None,
        # No control socket (gunicorn >= 25.1 opens $XDG_RUNTIME_DIR/gunicorn.ctl,
        # else ~/.gunicorn/gunicorn.ctl): one path for every gunicorn of the
        # user, so a second instance took it over from the first. Signal the
        # master instead (SIGTERM, TTIN/TTOU).
        "control_socket_disable": True,
    }


# Settings newer than the oldest gunicorn accepted (23.0), set only where the
# installed one knows them (there is no control socket before 25.1).
NEWER_SETTINGS = frozenset({"control_socket_disable"})


def app_overrides(options):
    """Settings that must agree with the server: pool sizes per worker."""
    return {"cache.max_connections": str(options["worker_connections"])}


class Server(BaseApplication):
    def __init__(self, options, ini):
        self.options = options
        self.ini = ini
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            if name in self.cfg.settings or name not in NEWER_SETTINGS:
                self.cfg.set(name, value)
        self.cfg.set("when_ready", self.announce)

    def announce(self, arbiter):
        """gunicorn's ``when_ready``: the socket is bound."""
        host, _, port = self.options["bind"].rpartition(":")
        announce(host.strip("[]"), port, self.options["workers"])

    def load(self):
        from .. import main

        setup_logging(self.ini)
        settings = {**get_appsettings(self.ini, "main"), **app_overrides(self.options)}
        global_config = {"__file__": os.path.abspath(self.ini)}
        global_config["here"] = os.path.dirname(global_config["__file__"])
        return main(global_config, **settings)


def main():  # pragma: no cover - run in a subprocess by tests/test_serve.py
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        # The console script (or python -m ...serve): start again with the
        # standard library patched before anything imports it.
        os.execv(sys.executable, COMMAND)
    options = server_options(os.environ, os.cpu_count() or 1)
    Server(options, os.environ.get("APP_INI", "production.ini")).run()


if __name__ == "__main__":  # pragma: no cover
    main()
