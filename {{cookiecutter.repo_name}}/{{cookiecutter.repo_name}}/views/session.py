"""``/session``: a tiny example of session state and CSRF across app servers.

The session is a signed cookie (``security.py``): any process on any machine
holding the same ``SECRET_KEY`` reads it and checks its CSRF token, so there is
no sticky routing and no session store. Responses depend on the cookie, so no
shared cache may store them.

* ``GET /session``  counts the visits and returns the CSRF token for forms.
* ``POST /session`` (form field ``note``; token in ``csrf_token`` or the
  ``X-CSRF-Token`` header) stores a short note in the session.
"""

from pyramid.csrf import get_csrf_token
from pyramid.view import view_config

from ..caching import policies
from ..validation import InvalidInput

MAX_NOTE = 200


def _state(request):
    return {
        "visits": request.session.get("visits", 0),
        "note": request.session.get("note"),
        "csrf_token": get_csrf_token(request),
    }


@view_config(
    route_name="session",
    request_method="GET",
    renderer="json",
    http_cache=policies.NO_STORE,
)
def show_session(request):
    request.session["visits"] = request.session.get("visits", 0) + 1
    return _state(request)


@view_config(
    route_name="session",
    request_method="POST",
    renderer="json",
    http_cache=policies.NO_STORE,
)
def update_session(request):
    note = request.POST.get("note", "").strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidInput({"note": f"1 to {MAX_NOTE} characters"})
    request.session["note"] = note
    return _state(request)
