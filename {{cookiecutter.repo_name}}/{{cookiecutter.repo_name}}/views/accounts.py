"""The example's signed-in area: sign in and out, ``/account``, ``/whoami``.

* ``GET /login`` the form (with its CSRF token); ``POST /login`` checks the
  token (Pyramid: a 400 without it), the name and the password. A wrong name
  costs the same time as a wrong password (``web/passwords.py``) and answers
  the same 403, and no one is signed in.
* ``POST /logout`` (CSRF too) ends the session.
* ``GET /account`` the signed-in user's own page: ``private``, never stored.
* ``GET /whoami`` the name for the layout (``assets/whoami.js``): the stored
  pages carry no name, so one page serves every client.

Signing in starts a new session (no session fixation) and sets ``signed_in=1``,
a cookie holding no secret that only tells ``whoami.js`` to ask for the name:
anonymous visitors make no extra request.
"""

from datetime import datetime, timezone

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import forbidden_view_config, view_config

from ..accounts import find_account
from ..caching import policies
from ..rendering import template
from ..web.identity import SIGNED_IN
from ..web.passwords import MAX_PASSWORD, unknown_user_hash, verify_password

MAX_NAME = 100
MAX_NEXT = 2000
HINT_COOKIE = "signed_in"
SIGNED_IN_AT = "signed_in_at"  # session key


def local_path(value):
    """``value`` if it is a path on this site, else None (no open redirect)."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and len(value) <= MAX_NEXT
        and value.isprintable()
    ):
        return value
    return None


def login_form(request, status=200, error=None, name=""):
    request.response.status_int = status
    return {
        "csrf_token": get_csrf_token(request),
        "next": local_path(request.params.get("next")) or "",
        "error": error,
        "name": name,
    }


@view_config(
    route_name="login",
    request_method="GET",
    renderer=template("login"),
    http_cache=policies.NO_STORE,
)
def show_login(request):
    if request.authenticated_userid is not None:
        return HTTPSeeOther(request.route_url("account"))
    return login_form(request)


@view_config(
    route_name="login",
    request_method="POST",
    renderer=template("login"),
    http_cache=policies.NO_STORE,
)
def login(request):
    name = request.POST.get("name", "").strip()
    password = request.POST.get("password", "")
    if not name or len(name) > MAX_NAME or not password or len(password) > MAX_PASSWORD:
        return login_form(
            request, 400, "Enter your name and password.", name[:MAX_NAME]
        )
    found = find_account(request, name)
    stored = unknown_user_hash() if found is None else found[1]
    if not verify_password(password, stored) or found is None:
        return login_form(request, 403, "Wrong name or password.", name)
    account = found[0]
    request.session.invalidate()  # a new session: no fixation
    headers = remember(request, account.id)
    signed_in_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    request.session[SIGNED_IN_AT] = signed_in_at
    target = local_path(request.POST.get("next")) or request.route_url("account")
    response = HTTPSeeOther(target, headers=headers)
    response.set_cookie(
        HINT_COOKIE,
        "1",
        samesite="Lax",
        secure=request.app_settings.production,
    )
    return response


@view_config(
    route_name="logout",
    request_method="POST",
    http_cache=policies.NO_STORE,
)
def logout(request):
    headers = forget(request)
    request.session.invalidate()
    response = HTTPSeeOther(request.route_url("home"), headers=headers)
    response.delete_cookie(HINT_COOKIE)
    return response


@view_config(
    route_name="account",
    request_method="GET",
    renderer=template("account"),
    permission=SIGNED_IN,
    http_cache=policies.PRIVATE,
)
def account(request):
    return {
        "account": request.identity,
        "signed_in_at": request.session.get(SIGNED_IN_AT),
        "csrf_token": get_csrf_token(request),
    }


@view_config(
    route_name="whoami",
    request_method="GET",
    renderer="json",
    http_cache=policies.PRIVATE,
)
def whoami(request):
    identity = request.identity
    if identity is None:
        return {"name": None}
    return {"name": identity.name, "account_url": request.route_url("account")}


@forbidden_view_config(renderer=template("error"), http_cache=policies.NO_STORE)
def forbidden(request):
    """Not signed in: to the form, and back here after. Signed in: a 403."""
    if request.authenticated_userid is None and request.method == "GET":
        return HTTPSeeOther(
            request.route_url("login", _query={"next": request.path_qs})
        )
    request.response.status_int = 403
    return {"heading": "Forbidden", "message": "You may not see this page."}
