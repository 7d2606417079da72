"""``request.path_template(route, *names)``: one route lookup for many links.

A list page links every row: ``request.route_path`` once per row walks the
route, quotes every part and joins them again, fifty times for the same shape.
``path_template("item", "id")`` builds the path once, with a ``{id}`` field
where the value goes, and the template fills it per row with ``str.format``.
Only for values that need no URL quoting (integer ids): ``format`` does not
quote, ``route_path`` would.
"""

# Letters and digits only: route_path leaves it as it is.
MARKER = "PATHTEMPLATEFIELD{}X"


def path_template(request, route_name, *names):
    """``request.route_path(route_name, ...)`` with a ``{name}`` field per name."""
    markers = {name: MARKER.format(name) for name in names}
    path = request.route_path(route_name, **markers)
    # No other braces to escape: a generated path has none (braces in a route
    # pattern are its placeholders; the script name and values are quoted).
    for name in names:
        path = path.replace(markers[name], "{" + name + "}")
    return path


def includeme(config):
    """``request.path_template``, for templates that link many rows."""
    config.add_request_method(path_template, "path_template")
