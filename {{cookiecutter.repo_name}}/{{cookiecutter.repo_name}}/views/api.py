"""The JSON API: list, detail, create and change.

CSRF: the create and change views accept only ``Content-Type: application/json``. A
cross-site page cannot send that without a CORS preflight, which this app never
grants, so the JSON API needs no CSRF token (``require_csrf=False``); HTML forms
keep the default token check (``security.py``).
"""

from pyramid.httpexceptions import (
    HTTPNotFound,
    HTTPRequestEntityTooLarge,
    HTTPUnsupportedMediaType,
)
from pyramid.view import view_config

from .. import catalog
from ..caching import policies
from ..catalog import scopes
from ..catalog.input import parse_item_change, parse_new_item
from ..validation import InvalidInput, parse_id
from .listing import LISTING_PARAMETERS, item_listing

MAX_BODY_BYTES = 64 * 1024


@view_config(
    route_name="api_items",
    request_method="GET",
    renderer="json",
    http_cache=policies.PUBLIC,
    etag=catalog.DATASET,
    page_cache=LISTING_PARAMETERS,
)
def list_items(request):
    return item_listing(request)  # names the items it shows (depends_on)


@view_config(
    route_name="api_item",
    request_method="GET",
    renderer="json",
    http_cache=policies.PUBLIC,
    etag=catalog.DATASET,
    page_cache={"id": parse_id},
)
def get_item(request):
    item_id = parse_id(request.matchdict["id"])
    detail = request.cache.get_or_create(
        catalog.DATASET,
        f"item:{item_id}",
        lambda: catalog.item_detail(request, item_id),
    )
    if detail is None:
        raise HTTPNotFound(f"There is no item {item_id}.")
    request.cache.depends_on(catalog.DATASET, *scopes.of_items([detail]))
    return detail


# A JSON write: never stored; JSON only, so no CSRF token (see above).
JSON_WRITE = {
    "renderer": "json",
    "http_cache": policies.NO_STORE,
    "require_csrf": False,
}


@view_config(route_name="api_items", request_method="POST", **JSON_WRITE)
def create_item(request):
    new_item = parse_new_item(json_body(request))
    try:
        created = catalog.create_item(request, new_item)
    except catalog.UnknownCategory:
        raise InvalidInput({"category_id": "no such category"}) from None
    request.response.status_int = 201
    request.response.location = request.route_url("api_item", id=created["id"])
    return created


@view_config(route_name="api_item", request_method="PATCH", **JSON_WRITE)
def update_item(request):
    item_id = parse_id(request.matchdict["id"])
    change = parse_item_change(json_body(request))
    updated = catalog.update_item(request, item_id, change)
    if updated is None:
        raise HTTPNotFound(f"There is no item {item_id}.")
    return updated


def json_body(request):
    """The request's JSON body, decoded; a clear 4xx for anything else."""
    if request.content_type != "application/json":
        raise HTTPUnsupportedMediaType("Send the item as application/json.")
    # Every body is read whole before the app runs (web/bodies.py), within the
    # app's limit (app.max_body_bytes): Content-Length is exact.
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise HTTPRequestEntityTooLarge(f"At most {MAX_BODY_BYTES} bytes.")
    try:
        return request.json_body
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise InvalidInput({"body": "must be valid JSON (UTF-8)"}) from None
