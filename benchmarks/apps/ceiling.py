"""The ceiling: what the server and Pyramid cost with no application work.

- ``bare_same_bytes``: a WSGI callable returning, from a dict, the exact bytes
  the generated project serves for the measured page (captured by the harness
  into the JSON file named by ``CEILING_PAGES``: {path_qs: body}) with the
  same content type: the most a warm page can do on this server.
- ``same_bytes``: the same bytes from a Pyramid view.
- ``hello``: Pyramid's hello-world view.
- ``bare``: a WSGI callable, no framework.
Served by the same server command and worker count as the threads project.
"""

import json
import os

from pyramid.config import Configurator
from pyramid.response import Response


def captured_pages():
    """{path_qs: body bytes} from the file named by ``CEILING_PAGES``."""
    with open(os.environ["CEILING_PAGES"], encoding="utf-8") as pages_file:
        return {path: body.encode() for path, body in json.load(pages_file).items()}


def _bare_same_bytes_app():
    responses = {
        path: (
            [
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Content-Length", str(len(body))),
            ],
            [body],
        )
        for path, body in captured_pages().items()
    }

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers, body = responses[path]
        start_response("200 OK", headers)
        return body

    return app


def page_response(pages, request):
    """The captured bytes of the page ``request`` names, as a Pyramid response."""
    return Response(
        body=pages[request.path_qs], content_type="text/html", charset="utf-8"
    )


def catch_all_app(view):
    """A Pyramid app sending every path to ``view``."""
    with Configurator() as config:
        config.add_route("all", "/*rest")
        config.add_view(view, route_name="all")
    return config.make_wsgi_app()


def _same_bytes_app():
    pages = captured_pages()
    return catch_all_app(lambda request: page_response(pages, request))


def _hello_app():
    return catch_all_app(lambda request: Response("Hello World!"))


def bare(environ, start_response):
    body = b"Hello World!"
    start_response(
        "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    )
    return [body]


same_bytes = _same_bytes_app() if os.environ.get("CEILING_PAGES") else None
bare_same_bytes = _bare_same_bytes_app() if os.environ.get("CEILING_PAGES") else None
hello = _hello_app()
