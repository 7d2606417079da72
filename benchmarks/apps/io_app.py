"""An I/O-bound Pyramid view: one call to a slow local upstream (~50 ms).

The generated project has no such route, so the benchmark serves this app with
each project's own server configuration (granian threads, gunicorn + gevent)
and the baseline serves the same call from its own views.
"""

import http.client
import os

from pyramid.config import Configurator


def io(request):
    host, port = os.environ["UPSTREAM"].split(":")
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
    return config.make_wsgi_app()


app = make_app()
