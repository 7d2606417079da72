"""HTML pages. Data comes from the catalog through the server-side cache."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from .. import catalog
from ..caching import policies
from ..catalog import scopes
from ..rendering import template
from ..validation import parse_id
from .listing import LISTING_PARAMETERS, item_listing


@view_config(
    route_name="home",
    request_method="GET",
    renderer=template("home"),
    http_cache=policies.PUBLIC,
    etag=catalog.DATASET,
    page_cache=True,
)
def home(request):
    summary = request.cache.get_or_create(
        catalog.DATASET, "home", lambda: catalog.home(request)
    )
    request.cache.depends_on(
        catalog.DATASET,
        scopes.NEW,  # the latest items and the counts change with every insert
        *scopes.of_items(summary["latest"]),
        *(scopes.category(category["id"]) for category in summary["categories"]),
    )
    return {"summary": summary}


@view_config(
    route_name="items",
    request_method="GET",
    renderer=template("items"),
    http_cache=policies.PUBLIC,
    etag=catalog.DATASET,
    page_cache=LISTING_PARAMETERS,
)
def items(request):
    listing = item_listing(request)
    if not listing["items"] and listing["page"] > 1:
        raise HTTPNotFound(f"There is no page {listing['page']}.")
    return {"listing": listing}


@view_config(
    route_name="item",
    request_method="GET",
    renderer=template("item"),
    http_cache=policies.PUBLIC,
    etag=catalog.DATASET,
    page_cache={"id": parse_id},
)
def item(request):
    item_id = parse_id(request.matchdict["id"])
    detail = request.cache.get_or_create(
        catalog.DATASET,
        f"item:{item_id}",
        lambda: catalog.item_detail(request, item_id),
    )
    if detail is None:
        raise HTTPNotFound(f"There is no item {item_id}.")
    request.cache.depends_on(catalog.DATASET, *scopes.of_items([detail]))
    return {"item": detail}
