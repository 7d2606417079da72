"""Tweens: ``Server-Timing`` when enabled, nothing at all otherwise."""

import time


def server_timing_tween_factory(handler, registry):
    if not registry.app_settings.server_timing:
        return handler  # disabled: not in the chain, zero cost per request

    def server_timing_tween(request):
        start = time.perf_counter()
        response = handler(request)
        elapsed_ms = (time.perf_counter() - start) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
        return response

    return server_timing_tween


def includeme(config):
    config.add_tween("{{ cookiecutter.repo_name }}.tweens.server_timing_tween_factory")
