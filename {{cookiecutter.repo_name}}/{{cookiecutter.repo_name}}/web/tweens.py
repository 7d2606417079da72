"""Tweens: malformed client headers, and ``Server-Timing`` when enabled.

Other concerns add their own metric with ``add_server_timing`` (the database
adds ``db;dur=...;desc="N queries"`` from a tween nested inside this one).
"""

import time

from pyramid.httpexceptions import HTTPUnsupportedMediaType
from pyramid.tweens import EXCVIEW
from webob.byterange import Range
from webob.datetime_utils import parse_date

# Request headers WebOb parses as HTTP dates (its parser overflows on a year
# such as 99999999999 instead of ignoring it).
DATE_HEADERS = ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")


def add_server_timing(response, metric):
    """Append ``metric`` (``name;dur=ms[;desc="..."]``) to ``Server-Timing``."""
    existing = response.headers.get("Server-Timing")
    response.headers["Server-Timing"] = f"{existing}, {metric}" if existing else metric


def server_timing_tween_factory(handler, registry):
    if not registry.app_settings.server_timing:
        return handler  # disabled: not in the chain, zero cost per request

    def server_timing_tween(request):
        start = time.perf_counter()
        response = handler(request)
        elapsed_ms = (time.perf_counter() - start) * 1000
        add_server_timing(response, f"app;dur={elapsed_ms:.1f}")
        return response

    return server_timing_tween


def valid_date(value):
    try:
        return parse_date(value) is not None
    except (OverflowError, ValueError):
        return False


def malformed_headers_tween_factory(handler, registry):
    """Client headers WebOb would fail on: ignored, or a 415.

    * A malformed ``Range`` (WebOb raises on ``bytes=-`` while serving the
      response, outside every exception view) and an invalid
      ``If-Modified-Since`` / ``If-Unmodified-Since`` are dropped: RFC 9110
      lets a server ignore them, so the client gets the whole representation.
    * A body in another charset than UTF-8 (``Content-Type: ...; charset=X``)
      is a 415: WebOb raises on forms that are not UTF-8, and on JSON whose
      charset Python does not know. Browsers send UTF-8 and name no charset.

    Under the exception views, so the 415 gets the API's JSON error body.
    """

    def malformed_headers_tween(request):
        environ = request.environ
        value = environ.get("HTTP_RANGE")
        if value is not None:
            try:
                Range.parse(value)
            except ValueError:
                del environ["HTTP_RANGE"]
        for name in DATE_HEADERS:
            value = environ.get(name)
            if value is not None and not valid_date(value):
                del environ[name]
        # Read as WebOb reads it (``charset=utf_8`` or ``utf-8\x7f`` are not
        # UTF-8 to WebOb, which raises when it parses such a form).
        if request.charset != "UTF-8":
            raise HTTPUnsupportedMediaType("Send the request body as UTF-8.")
        return handler(request)

    return malformed_headers_tween


def includeme(config):
    config.add_tween(f"{__name__}.malformed_headers_tween_factory", under=EXCVIEW)
    config.add_tween(f"{__name__}.server_timing_tween_factory")
