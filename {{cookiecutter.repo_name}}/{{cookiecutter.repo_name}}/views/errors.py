"""Error views: clear 4xx pages and JSON messages, never a traceback.

Anything unexpected becomes a plain 500 page (or JSON under ``/api/``) with no
details; the traceback goes to the log only.
"""

import logging

from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPClientError
from pyramid.view import exception_view_config, notfound_view_config

from ..caching import policies
from ..rendering import template
from ..validation import InvalidInput
from ..web import methods

log = logging.getLogger(__name__)

ERROR_PAGE = template("error")


def _wants_json(request):
    # The raw environ value: request.path fails on a URL that is not UTF-8.
    return request.environ.get("PATH_INFO", "").startswith("/api/")


def error_body(request, status, error, heading, message):
    """The body of an error response: JSON for the API, the error page elsewhere."""
    request.response.status_int = status
    if _wants_json(request):
        request.override_renderer = "json"
        return {"error": error, "message": message}
    return {"heading": heading, "message": message}


@notfound_view_config(renderer=template("404"), http_cache=policies.NO_STORE)
def not_found(request):
    message = getattr(request.exception, "detail", None)
    return not_found_body(request, message or "Page not found.")


def not_found_body(request, message):
    request.response.status_int = 404
    if _wants_json(request):
        request.override_renderer = "json"
        return {"error": "not_found", "message": message}
    return {"message": message}


@exception_view_config(
    PredicateMismatch, renderer=template("404"), http_cache=policies.NO_STORE
)
def wrong_method(request):
    """A route matched but none of its views takes the method: a 405 with
    ``Allow``; another predicate did not match: a 404. Pyramid's message,
    which names the view, is never shown."""
    allowed = methods.allowed_methods(request)
    if allowed is None or request.method in allowed:
        return not_found_body(request, "Page not found.")
    return http_error(request, methods.method_not_allowed(request))


@exception_view_config(InvalidInput, renderer="json", http_cache=policies.NO_STORE)
def invalid_input(request):
    request.response.status_int = 400
    return {"error": "invalid_input", "errors": request.exception.errors}


@exception_view_config(HTTPClientError, renderer="json", http_cache=policies.NO_STORE)
def client_error(request):
    """Other 4xx (405, 415, CSRF...): JSON for the API, the plain page elsewhere."""
    return http_error(request, request.exception)


def http_error(request, exception):
    """An HTTP exception as the response: its own page, or JSON under ``/api/``."""
    if not _wants_json(request):
        return exception
    request.override_renderer = "json"
    request.response.status = exception.status
    if "Allow" in exception.headers:
        request.response.headers["Allow"] = exception.headers["Allow"]
    return {"error": exception.title, "message": exception.detail}


@exception_view_config(
    UnicodeDecodeError, renderer=ERROR_PAGE, http_cache=policies.NO_STORE
)
def not_utf8(request):
    """Percent-encoded bytes in the URL, query or form that are not UTF-8."""
    return error_body(
        request,
        400,
        "invalid_encoding",
        "Bad request",
        "The URL, query string or form data is not valid UTF-8.",
    )


@exception_view_config(Exception, renderer=ERROR_PAGE, http_cache=policies.NO_STORE)
def server_error(request):
    """A bug: log the traceback, show the client nothing of it.

    Deliberate HTTP exceptions (redirects, 4xx) never get here: Pyramid's own
    view for them is more specific than ``Exception``.
    """
    log.error(
        "unhandled error on %s %s",
        request.method,
        request.environ.get("PATH_INFO"),
        exc_info=request.exc_info,
    )
    return error_body(
        request,
        500,
        "server_error",
        "Something went wrong",
        "The error has been logged. Please try again later.",
    )
