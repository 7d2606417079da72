"""An I/O-bound Pyramid view: one call to a slow local upstream (~50 ms).

The generated project has no such route, so the benchmark serves this app with
each project's own server configuration (granian threads, gunicorn + gevent)
and the baseline serves the same call from its own views.

* ``/io``: through the project's ``upstream.Upstream`` (a kept-alive connection
  per thread or greenlet), the way the project tells its users to call services;
* ``/io-new-connection``: a new connection per call, as ``requests.get`` does,
  for the side-by-side figure.

``PROJECT_PACKAGE`` names the project's package (its ``upstream`` module).
"""

import http.client
import importlib
import os

from pyramid.config import Configurator

UPSTREAM = os.environ["UPSTREAM"]
upstream = importlib.import_module(f"{os.environ['PROJECT_PACKAGE']}.clients.upstream")
service = upstream.Upstream(f"http://{UPSTREAM}", timeout=30)


def io(request):
    return {"upstream": service.get("/slow").body.decode()}


def io_new_connection(request):
    host, port = UPSTREAM.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/slow")
        body = conn.getresponse().read()
    finally:
        conn.close()
    return {"upstream": body.decode()}


def make_app(global_config=None, **settings):
    with Configurator(settings=settings) as config:
        config.add_route("io", "/io")
        config.add_view(io, route_name="io", renderer="json")
        config.add_route("io_new", "/io-new-connection")
        config.add_view(io_new_connection, route_name="io_new", renderer="json")
    return config.make_wsgi_app()


app = make_app()
