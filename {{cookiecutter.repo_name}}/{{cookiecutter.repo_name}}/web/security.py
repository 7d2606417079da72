"""Sessions, CSRF and security headers.

The session lives in a signed cookie (no server-side state, so any worker on
any machine can serve any request). Production refuses to start without a real
``SECRET_KEY``.
"""

from pyramid.events import NewResponse
from pyramid.session import SignedCookieSessionFactory

from ..settings import SettingsError

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret"}
MIN_SECRET_LENGTH = 32
# Too little variety: "a" * 32, "changeme" * 4, "12345678" * 4. Not 16: a random
# hex key (secrets.token_hex(32), 64 characters) has fewer than 16 distinct
# characters 23% of the time, fewer than 10 once in 10**12; token_urlsafe(32)
# never in practice. A 32-character hex key falls below 10 once in 10,000.
MIN_DISTINCT_CHARACTERS = 10

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    # The example pages use only their own stylesheet: nothing inline, no CDN.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'"
    ),
}
# Sent only on responses to https requests (directly, or through a trusted
# proxy's X-Forwarded-Proto: web/proxy.py): RFC 6797 section 7.2 forbids it
# over plain http.
HSTS = "max-age=31536000; includeSubDomains"


def weak_secret(secret):
    return (
        secret.lower() in PLACEHOLDER_SECRETS
        or len(secret) < MIN_SECRET_LENGTH
        or len(set(secret)) < MIN_DISTINCT_CHARACTERS
    )


def check_secret(app_settings):
    secret = app_settings.secret_key
    if app_settings.production and weak_secret(secret):
        raise SettingsError(
            f"SECRET_KEY: production needs a random secret of at least "
            f"{MIN_SECRET_LENGTH} characters, {MIN_DISTINCT_CHARACTERS} of them "
            "different (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return secret


def never_shared_with_cookie(response):
    """A response that sets a cookie is for one browser only.

    A shared cache storing it would hand one user's session to everyone else,
    whatever ``http_cache`` policy the view chose.
    """
    if "Set-Cookie" in response.headers:
        cache_control = response.cache_control
        cache_control.public = False
        cache_control.s_maxage = None
        cache_control.private = True


def includeme(config):
    app_settings = config.registry.app_settings
    secret = check_secret(app_settings)
    config.set_session_factory(
        SignedCookieSessionFactory(
            secret,
            httponly=True,
            samesite="Lax",
            secure=app_settings.production,
        )
    )
    config.set_default_csrf_options(require_csrf=True)
    header_items = tuple(SECURITY_HEADERS.items())
    hsts = app_settings.production

    def add_security_headers(event):
        response = event.response
        for name, value in header_items:
            response.headers.setdefault(name, value)
        if hsts and event.request.environ["wsgi.url_scheme"] == "https":
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        never_shared_with_cookie(response)

    config.add_subscriber(add_security_headers, NewResponse)
