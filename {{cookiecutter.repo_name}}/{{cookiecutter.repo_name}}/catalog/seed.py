"""Seed the example catalog's tables with the sample data (``sample.py``).

Idempotent: running it again tops the catalog up to the number asked for and
adds nothing when it is already there. Rows are inserted in batches
(SQLAlchemy's insertmanyvalues).
"""

from sqlalchemy import func, select

from .models import Category, Item, Tag, item_tags
from .sample import CATEGORIES, TAGS, sample_item

BATCH = 1000


def seed(dbsession, item_count, progress=None):
    """Top the catalog up to ``item_count`` items; return how many were added.

    ``progress(added, wanted)`` is called after each batch."""
    categories = _ensure(dbsession, Category, CATEGORIES)
    tags = _ensure(dbsession, Tag, TAGS)
    existing = dbsession.scalar(select(func.count(Item.id)))
    wanted = max(item_count - existing, 0)
    added = 0
    for start in range(existing + 1, item_count + 1, BATCH):
        rows = [
            sample_item(number)
            for number in range(start, min(start + BATCH, item_count + 1))
        ]
        inserted = dbsession.execute(
            Item.__table__.insert().returning(Item.id),
            [
                {
                    "name": row["name"],
                    "price_cents": row["price_cents"],
                    "category_id": categories[row["category"]].id,
                    "description": row["description"],
                }
                for row in rows
            ],
        )
        ids = [row.id for row in inserted]
        links = {
            (item_id, tags[name].id)
            for item_id, row in zip(ids, rows, strict=True)
            for name in row["tags"]
        }
        dbsession.execute(
            item_tags.insert(),
            [{"item_id": item, "tag_id": tag} for item, tag in links],
        )
        added += len(ids)
        if progress:
            progress(added, wanted)
    return added


def _ensure(dbsession, model, names):
    """``{name: row}`` for ``names``, creating the missing rows."""
    found = {row.name: row for row in dbsession.scalars(select(model))}
    for name in names:
        if name not in found:
            found[name] = model(name=name)
            dbsession.add(found[name])
    dbsession.flush()
    return {name: found[name] for name in names}
