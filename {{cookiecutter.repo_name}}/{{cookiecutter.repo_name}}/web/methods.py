"""Methods: a 405 with ``Allow`` for a method a URL does not take; TRACE refused.

When a route matches but none of its views takes the request's method, Pyramid
raises ``PredicateMismatch``, a 404 whose message names the view and its
predicates. ``views/errors.py`` turns it into a ``405 Method Not Allowed``
whose ``Allow`` header lists the methods the route's views declare
(``request_method``; ``GET`` includes ``HEAD``), read once from the
configuration. A mismatch on another predicate stays a plain 404.

TRACE, TRACK and CONNECT are refused on every URL, before routing: a view that
declares no ``request_method`` would otherwise answer them.
"""

from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.interfaces import IRoutesMapper
from pyramid.tweens import EXCVIEW

REFUSED = frozenset({"TRACE", "TRACK", "CONNECT"})


def declared_methods(introspector):
    """``{route name: frozenset of methods, or None when a view takes any}``."""
    methods = {}
    for entry in introspector.get_category("views"):
        view = entry["introspectable"]
        route = view["route_name"]
        if route is None or view["exception_only"]:
            continue
        declared = view["request_methods"]
        if declared is None or methods.get(route, set()) is None:
            methods[route] = None
            continue
        declared = {declared} if isinstance(declared, str) else set(declared)
        if "GET" in declared:
            declared.add("HEAD")
        methods[route] = methods.get(route, set()) | declared
    return {route: m if m is None else frozenset(m) for route, m in methods.items()}


def allowed_methods(request):
    """The methods the request's route takes, sorted; None: any, or no route."""
    registry = request.registry
    table = registry.__dict__.get("route_methods")
    if table is None:  # built on first use, once the configuration is complete
        table = registry.route_methods = declared_methods(registry.introspector)
    route = request.matched_route
    if route is None:
        route = registry.getUtility(IRoutesMapper)(request)["route"]
    methods = table.get(route.name) if route is not None else None
    return None if methods is None else sorted(methods)


def method_not_allowed(request):
    """The 405 for ``request``, with ``Allow`` when its route is known."""
    methods = allowed_methods(request) or []
    headers = {"Allow": ", ".join(m for m in methods if m not in REFUSED)}
    return HTTPMethodNotAllowed(headers=headers)


def refuse_methods_tween_factory(handler, registry):
    def refuse_methods_tween(request):
        if request.method in REFUSED:
            raise method_not_allowed(request)
        return handler(request)

    return refuse_methods_tween


def includeme(config):
    config.add_tween(f"{__name__}.refuse_methods_tween_factory", under=EXCVIEW)
