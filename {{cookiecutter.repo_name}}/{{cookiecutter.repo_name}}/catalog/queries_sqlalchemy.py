"""The example catalog's queries over SQLAlchemy: the data behind every page.

Functions return plain dicts and lists, never live ORM objects, so a result can
be cached, serialized to JSON and rendered by any template engine. The list
pages only display their rows: they read plain rows (SQLAlchemy Core, no ORM
instances, identity map or relationship loaders: several times cheaper per
row) from statements built once at import; the detail page and the write use
the ORM.
A write retires what it changed with one ``request.cache.changed`` call,
naming the parts of the "items" data set it touched (``scopes.py``).
"""

from datetime import timezone

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload, undefer

from . import scopes
from .models import Category, Item, Tag, item_tags

DATASET = "items"


class UnknownCategory(LookupError):
    """The new item names a category that does not exist."""


def _category(category):
    return {"id": category.id, "name": category.name}


def _summary(item):
    return {
        "id": item.id,
        "name": item.name,
        "price_cents": item.price_cents,
        "category": _category(item.category),
        "tags": sorted(tag.name for tag in item.tags),
    }


def _listing():
    # Many-to-one: joined into the same query; collection: one extra IN query.
    return select(Item).options(joinedload(Item.category), selectinload(Item.tags))


ITEMS, CATEGORIES, TAGS = Item.__table__, Category.__table__, Tag.__table__
# The columns a list row shows, its category joined in (same plan as the ORM's
# joinedload: the items index drives the query).
SUMMARY_ROWS = select(
    ITEMS.c.id,
    ITEMS.c.name,
    ITEMS.c.price_cents,
    CATEGORIES.c.id.label("category_id"),
    CATEGORIES.c.name.label("category_name"),
).select_from(ITEMS.outerjoin(CATEGORIES, ITEMS.c.category_id == CATEGORIES.c.id))
PAGE_ROWS = (
    SUMMARY_ROWS.where(ITEMS.c.id > bindparam("after"))
    .order_by(ITEMS.c.id)
    .limit(bindparam("limit"))
)
LATEST_ROWS = SUMMARY_ROWS.order_by(ITEMS.c.id.desc()).limit(5)
# The tags of many items in one IN query (the primary key of item_tags).
TAGS_OF = (
    select(item_tags.c.item_id, TAGS.c.name)
    .join(TAGS, TAGS.c.id == item_tags.c.tag_id)
    .where(item_tags.c.item_id.in_(bindparam("ids", expanding=True)))
)
CATEGORY_COUNTS = (
    select(Category.id, Category.name, func.count(Item.id).label("item_count"))
    .outerjoin(Item, Item.category_id == Category.id)
    .group_by(Category.id, Category.name)
    .order_by(Category.name)
)


def _summaries(db, rows):
    """The summary dicts of ``rows`` (``SUMMARY_ROWS``), tags in one more query."""
    tags = {row.id: [] for row in rows}
    if tags:
        for item_id, name in db.execute(TAGS_OF, {"ids": list(tags)}):
            tags[item_id].append(name)
    return [
        {
            "id": row.id,
            "name": row.name,
            "price_cents": row.price_cents,
            "category": {"id": row.category_id, "name": row.category_name},
            "tags": sorted(tags[row.id]),
        }
        for row in rows
    ]


def home(request):
    db = request.dbsession
    latest = db.execute(LATEST_ROWS).all()
    categories = [row._asdict() for row in db.execute(CATEGORY_COUNTS)]
    return {
        "item_count": sum(category["item_count"] for category in categories),
        "categories": categories,
        "latest": _summaries(db, latest),
    }


def item_page(request, page, per_page, after=None):
    """Page ``page`` (1-based) of the items in id order.

    Keyset (seek) pagination: ``WHERE id > :after ORDER BY id LIMIT n`` is an
    index range search whose cost does not grow with depth, unlike ``OFFSET``,
    which reads and drops every earlier row (with its joins). The Next link
    carries ``after`` (the last id shown). A bare ``?page=N`` (a bookmark, the
    Previous link) first finds its starting id with an OFFSET over the primary
    key alone: it touches no joined table, and no other column.
    """
    db = request.dbsession
    if after is None:
        after = 0 if page == 1 else db.scalar(_page_start(page, per_page))
    if after is None:  # past the last page
        rows = []
    else:
        rows = db.execute(PAGE_ROWS, {"after": after, "limit": per_page + 1}).all()
    has_next = len(rows) > per_page
    return {
        "items": _summaries(db, rows[:per_page]),
        "page": page,
        "per_page": per_page,
        "has_next": has_next,
        "next_after": rows[per_page - 1].id if has_next else None,
    }


def _page_start(page, per_page):
    """The id just before page ``page``: the last id of the page before it."""
    return select(Item.id).order_by(Item.id).offset((page - 1) * per_page - 1).limit(1)


def item_detail(request, item_id):
    item = request.dbsession.scalar(
        _listing().options(undefer(Item.description)).where(Item.id == item_id)
    )
    if item is None:
        return None
    return _detail(item)


def category_ids(request):
    return set(request.dbsession.scalars(select(Category.id)))


def create_item(request, new_item):
    """Insert ``new_item`` (a validated ``NewItem``) and return its detail dict."""
    db = request.dbsession
    category = db.get(Category, new_item.category_id)
    if category is None:
        raise UnknownCategory(new_item.category_id)
    item = Item(
        name=new_item.name,
        price_cents=new_item.price_cents,
        description=new_item.description,
        category=category,
        tags=_tags(db, new_item.tags),
    )
    db.add(item)
    db.flush()
    # Now, and again once the transaction commits. Ids ascend: a new item
    # shows on the last list page and among home's latest (``scopes.NEW``).
    request.cache.changed(DATASET, scopes.NEW)
    return _detail(item)


def update_item(request, item_id, change):
    """Apply ``change`` (a validated ``ItemChange``): its detail, or None if unknown."""
    db = request.dbsession
    item = db.scalar(
        _listing().options(undefer(Item.description)).where(Item.id == item_id)
    )
    if item is None:
        return None
    if change.name is not None:
        item.name = change.name
    if change.price_cents is not None:
        item.price_cents = change.price_cents
    db.flush()
    request.cache.changed(DATASET, scopes.item(item_id))
    return _detail(item)


def _detail(item):
    return {
        **_summary(item),
        "description": item.description,
        "created_at": item.created_at.isoformat(),
    }


def _tags(db, names):
    if not names:
        return []
    existing = {
        tag.name: tag for tag in db.scalars(select(Tag).where(Tag.name.in_(names)))
    }
    return [existing.get(name) or Tag(name=name) for name in names]


VERSION = select(
    select(func.max(Item.id)).scalar_subquery(),
    select(func.max(Item.updated_at)).scalar_subquery(),
)


def version(request):
    """``(token, last_modified)`` of the items: one query, two index lookups.

    ``max(id)`` changes on insert, ``max(updated_at)`` on update (both indexed;
    scalar subqueries keep SQLite's one-row min/max optimisation). A delete
    must bump the cache generation too: neither maximum has to change.
    """
    max_id, modified = request.dbsession.execute(VERSION).one()
    if modified is not None:
        modified = modified.replace(tzinfo=timezone.utc)
    return f"{max_id}-{modified and modified.isoformat()}", modified


def includeme(config):
    """Nothing to set up: the data lives in the database (see ``db``)."""
