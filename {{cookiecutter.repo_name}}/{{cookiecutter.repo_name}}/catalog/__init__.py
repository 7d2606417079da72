"""The example domain: a catalog of items, categories and tags.

Everything the example owns lives here (models, queries, sample data) or in the
views and templates that show it; ``make remove-example`` deletes all of it.
The performance machinery (``caching/``) knows it only as the data set it
registers below: ``etag="items"``, ``page_cache=True`` and ``request.cache``
work for it as for any data set the project adds.
"""

from ..settings import SettingsError
from .queries import (
    DATASET,
    UnknownCategory,
    category_ids,
    create_item,
    home,
    item_detail,
    item_page,
    update_item,
    version,
)

__all__ = [
    "DATASET",
    "UnknownCategory",
    "category_ids",
    "create_item",
    "home",
    "item_detail",
    "item_page",
    "update_item",
    "version",
]

PER_PAGE = 50  # items per listing page (``catalog.per_page``)


def per_page_from_settings(settings):
    per_page = int(settings.get("catalog.per_page", PER_PAGE))
    if not 1 <= per_page <= 500:
        raise SettingsError(f"catalog.per_page = {per_page}: must be 1 to 500")
    return per_page


def includeme(config):
    config.include(".queries")
    config.registry.catalog_per_page = per_page_from_settings(config.get_settings())
    config.add_cache_dataset(DATASET, version=version)
    config.add_route("items", "/items")
    config.add_route("item", r"/items/{id:\d+}")
    config.add_route("api_items", "/api/items")
    config.add_route("api_item", r"/api/items/{id:\d+}")
    # Requested once at start (production): pool, SQL and templates warmed.
    config.add_warm_up_request("/")
    config.add_warm_up_request("/items")
