"""The item listing shared by the HTML page and the JSON API."""

from .. import catalog
from ..catalog import scopes
from ..validation import parse_after, parse_page

# The query parameters of a listing page, each with its parser: its key in the
# page cache (``page_cache=LISTING_PARAMETERS``), so ``?page=01`` is never stored.
LISTING_PARAMETERS = {"page": parse_page, "after": parse_after}


def item_listing(request):
    """``?page=N[&after=ID]`` of the items, through the server-side cache.

    The page depends on the items it shows and, the last one, on new items
    (ids ascend: they are appended there).
    """
    page = parse_page(request.GET.get("page"))
    after = parse_after(request.GET.get("after"))
    per_page = request.registry.catalog_per_page
    listing = request.cache.get_or_create(
        catalog.DATASET,
        f"page:{page}:{after}:{per_page}",
        lambda: catalog.item_page(request, page, per_page=per_page, after=after),
    )
    last = () if listing["has_next"] else (scopes.NEW,)
    request.cache.depends_on(catalog.DATASET, *last, *scopes.of_items(listing["items"]))
    return listing
