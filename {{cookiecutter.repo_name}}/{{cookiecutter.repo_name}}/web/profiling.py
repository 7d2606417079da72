"""On-demand profiling: ``?profile=1`` returns pyinstrument's HTML report.

Off unless ``profiling.enabled = true``; then a request is profiled only when
it also carries the secret ``profiling.token`` (header ``X-Profile-Token`` or
query parameter ``profile_token``). Without a valid token the request is
served as usual: the profiler is never reachable by guessing. Disabled, the
factory returns the handler unchanged, so the tween costs nothing.

In production set ``PROFILING_TOKEN`` (and ``profiling.enabled = true``) only
while investigating: profiling slows the profiled request several times.
Under gevent, only the request's own greenlet is sampled; time spent waiting
in other greenlets shows as ``<out-of-context>``.
"""

import hmac
from dataclasses import dataclass

from pyramid.response import Response
from pyramid.settings import asbool

from ..settings import SettingsError

MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class ProfilingSettings:
    enabled: bool
    token: str
    interval: float

    @classmethod
    def from_settings(cls, settings):
        enabled = asbool(settings.get("profiling.enabled", False))
        token = settings.get("profiling.token", "").strip()
        if enabled and len(token) < MIN_TOKEN_LENGTH:
            raise SettingsError(
                f"profiling.enabled needs a profiling.token of at least "
                f"{MIN_TOKEN_LENGTH} characters"
            )
        interval = float(settings.get("profiling.interval", 0.001))
        return cls(enabled=enabled, token=token, interval=interval)

    def authorizes(self, request):
        try:
            if request.GET.get("profile") != "1":
                return False
            offered = request.headers.get("X-Profile-Token") or request.GET.get(
                "profile_token", ""
            )
        except UnicodeDecodeError:  # a malformed query string is never a request
            return False
        return hmac.compare_digest(offered.encode(), self.token.encode())


def profiling_tween_factory(handler, registry):
    profiling = ProfilingSettings.from_settings(registry.settings)
    if not profiling.enabled:
        return handler  # not in the chain: zero cost per request

    from pyinstrument import Profiler

    def profiling_tween(request):
        if not profiling.authorizes(request):
            return handler(request)
        profiler = Profiler(interval=profiling.interval)
        with profiler:
            handler(request)
        report = Response(profiler.output_html(), content_type="text/html")
        report.cache_control.no_store = True
        return report

    return profiling_tween


def includeme(config):
    ProfilingSettings.from_settings(config.get_settings())  # fail at start-up
    config.add_tween(f"{__name__}.profiling_tween_factory")
