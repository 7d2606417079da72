"""The example catalog's queries over a small in-process data source (no database).

The same functions as the SQLAlchemy variant, over lists built at start-up.
Functions return copies, so callers can cache or mutate them freely.
"""

import copy
import threading
import uuid
from datetime import datetime, timezone

from . import scopes
from .sample import CATEGORIES, DEFAULT_ITEMS, sample_item

DATASET = "items"


class UnknownCategory(LookupError):
    """The new item names a category that does not exist."""


class MemoryCatalog:
    def __init__(self, item_count):
        self.lock = threading.Lock()
        self.categories = [
            {"id": number, "name": name} for number, name in enumerate(CATEGORIES, 1)
        ]
        self.items = []
        # Changes on every write: the data version behind ETags (see version()).
        self.revision = "seed"
        self.modified = datetime(2024, 1, 1, tzinfo=timezone.utc)
        by_name = {category["name"]: category for category in self.categories}
        created_at = self.modified.isoformat()
        for number in range(1, item_count + 1):
            sample = sample_item(number)
            self.items.append(
                {
                    "id": number,
                    **sample,
                    "category": by_name[sample["category"]],
                    "created_at": created_at,
                }
            )


def _catalog(request):
    return request.registry.catalog


def _summary(item):
    return {
        key: copy.deepcopy(value)
        for key, value in item.items()
        if key not in ("description", "created_at")
    }


def home(request):
    catalog = _catalog(request)
    with catalog.lock:
        categories = [
            {
                **category,
                "item_count": sum(
                    1
                    for item in catalog.items
                    if item["category"]["id"] == category["id"]
                ),
            }
            for category in catalog.categories
        ]
        latest = [_summary(item) for item in reversed(catalog.items[-5:])]
    categories.sort(key=lambda category: category["name"])
    return {
        "item_count": sum(category["item_count"] for category in categories),
        "categories": categories,
        "latest": latest,
    }


def item_page(request, page, per_page, after=None):
    catalog = _catalog(request)
    with catalog.lock:
        if after is None:
            start = (page - 1) * per_page
        else:
            start = sum(1 for item in catalog.items if item["id"] <= after)
        rows = catalog.items[start : start + per_page + 1]
        items = [_summary(item) for item in rows[:per_page]]
    has_next = len(rows) > per_page
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "has_next": has_next,
        "next_after": items[-1]["id"] if has_next else None,
    }


def item_detail(request, item_id):
    catalog = _catalog(request)
    with catalog.lock:
        if 1 <= item_id <= len(catalog.items):
            return copy.deepcopy(catalog.items[item_id - 1])
    return None


def category_ids(request):
    return {category["id"] for category in _catalog(request).categories}


def create_item(request, new_item):
    catalog = _catalog(request)
    categories = {category["id"]: category for category in catalog.categories}
    if new_item.category_id not in categories:
        raise UnknownCategory(new_item.category_id)
    with catalog.lock:
        item = {
            "id": len(catalog.items) + 1,
            "name": new_item.name,
            "price_cents": new_item.price_cents,
            "category": categories[new_item.category_id],
            "tags": sorted(set(new_item.tags)),
            "description": new_item.description,
            "created_at": datetime.now(timezone.utc).isoformat(),
        }
        catalog.items.append(item)
        _revised(catalog)
    request.cache.changed(DATASET, scopes.NEW)  # ids ascend: the last page, home
    return copy.deepcopy(item)


def update_item(request, item_id, change):
    """Apply ``change`` (a validated ``ItemChange``); the item's detail, or None."""
    catalog = _catalog(request)
    with catalog.lock:
        if not 1 <= item_id <= len(catalog.items):
            return None
        item = catalog.items[item_id - 1]
        if change.name is not None:
            item["name"] = change.name
        if change.price_cents is not None:
            item["price_cents"] = change.price_cents
        _revised(catalog)
        detail = copy.deepcopy(item)
    request.cache.changed(DATASET, scopes.item(item_id))
    return detail


def _revised(catalog):
    catalog.revision = uuid.uuid4().hex[:12]
    catalog.modified = datetime.now(timezone.utc)


def version(request):
    """``(token, last_modified)`` of the data: changes with every write."""
    catalog = _catalog(request)
    with catalog.lock:
        return f"{len(catalog.items)}-{catalog.revision}", catalog.modified


def includeme(config):
    item_count = int(config.get_settings().get("catalog.items", DEFAULT_ITEMS))
    config.registry.catalog = MemoryCatalog(item_count)
