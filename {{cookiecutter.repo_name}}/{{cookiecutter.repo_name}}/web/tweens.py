"""Tweens: ``Server-Timing`` when enabled, nothing at all otherwise.

Other concerns add their own metric with ``add_server_timing`` (the database
adds ``db;dur=...;desc="N queries"`` from a tween nested inside this one).
"""

import time

from webob.byterange import Range


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


def invalid_range_tween_factory(handler, registry):
    """Drop a malformed ``Range`` header instead of failing on it.

    WebOb raises ``ValueError`` on some (``bytes=-``) while serving the
    response, outside every exception view; RFC 9110 lets a server ignore an
    invalid ``Range``, so the client simply gets the whole representation.
    """

    def invalid_range_tween(request):
        value = request.environ.get("HTTP_RANGE")
        if value is not None:
            try:
                Range.parse(value)
            except ValueError:
                del request.environ["HTTP_RANGE"]
        return handler(request)

    return invalid_range_tween


def includeme(config):
    config.add_tween(f"{__name__}.invalid_range_tween_factory")
    config.add_tween(f"{__name__}.server_timing_tween_factory")
