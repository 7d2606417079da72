"""Error views: clear 4xx pages and JSON messages, never a traceback."""

from pyramid.httpexceptions import HTTPClientError
from pyramid.view import exception_view_config, notfound_view_config

from .. import httpcache
from ..validation import InvalidInput

TEMPLATES = "{{ cookiecutter.repo_name }}:templates/"
EXT = ".{{ cookiecutter.__template_ext }}"


def _wants_json(request):
    return request.path.startswith("/api/")


@notfound_view_config(renderer=TEMPLATES + "404" + EXT, http_cache=httpcache.NO_STORE)
def not_found(request):
    request.response.status_int = 404
    message = getattr(request.exception, "detail", None) or "Page not found."
    if _wants_json(request):
        request.override_renderer = "json"
        return {"error": "not_found", "message": message}
    return {"message": message}


@exception_view_config(InvalidInput, renderer="json", http_cache=httpcache.NO_STORE)
def invalid_input(request):
    request.response.status_int = 400
    return {"error": "invalid_input", "errors": request.exception.errors}


@exception_view_config(HTTPClientError, renderer="json", http_cache=httpcache.NO_STORE)
def client_error(request):
    """Other 4xx (405, 415, CSRF...): JSON for the API, the plain page elsewhere."""
    if not _wants_json(request):
        return request.exception
    request.response.status = request.exception.status
    return {"error": request.exception.title, "message": request.exception.detail}
