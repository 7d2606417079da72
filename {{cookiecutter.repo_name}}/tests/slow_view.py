"""A view that blocks in ``time.sleep``: only cooperative if gevent patched it."""

import time

from pyramid.response import Response

SLOW_SECONDS = 0.5


def slow(request):
    time.sleep(SLOW_SECONDS)
    return Response("slept")


def includeme(config):
    config.add_route("slow", "/slow")
    config.add_view(slow, route_name="slow")
