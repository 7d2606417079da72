"""Seed the example catalog; ``make run`` runs it.

    python -m {{ cookiecutter.repo_name }}.seed development.ini [--items 1000]

Idempotent: running it again tops the catalog up to ``--items`` and adds
nothing when it is already there. Rows are inserted in batches (SQLAlchemy's
insertmanyvalues); the rate is reported.
"""

import argparse
import sys
import time

import transaction
from pyramid.paster import bootstrap, setup_logging
from sqlalchemy import func, select

from .db import get_tm_session
from .db.models import Category, Item, Tag, item_tags

CATEGORIES = ("Books", "Garden", "Kitchen", "Music", "Toys")
TAGS = ("new", "sale", "popular", "gift", "eco")
BATCH = 1000


def seed(dbsession, item_count):
    """Top the catalog up to ``item_count`` items; return how many were added."""
    categories = _ensure(dbsession, Category, CATEGORIES)
    tags = _ensure(dbsession, Tag, TAGS)
    existing = dbsession.scalar(select(func.count(Item.id)))
    added = 0
    for start in range(existing + 1, item_count + 1, BATCH):
        numbers = range(start, min(start + BATCH, item_count + 1))
        rows = dbsession.execute(
            Item.__table__.insert().returning(Item.id),
            [
                {
                    "name": f"Item {number:04d}",
                    "price_cents": 100 + (number * 37) % 9900,
                    "category_id": categories[number % len(categories)].id,
                    "description": f"Item number {number}. " * 20,
                }
                for number in numbers
            ],
        )
        ids = [row.id for row in rows]
        links = {
            (item_id, tags[index].id)
            for item_id, number in zip(ids, numbers, strict=True)
            for index in (number % 5, (number * 3) % 5)
        }
        dbsession.execute(
            item_tags.insert(),
            [{"item_id": item, "tag_id": tag} for item, tag in links],
        )
        added += len(ids)
    return added


def _ensure(dbsession, model, names):
    """The rows named ``names``, created when missing, in the order given."""
    found = {row.name: row for row in dbsession.scalars(select(model))}
    for name in names:
        if name not in found:
            found[name] = model(name=name)
            dbsession.add(found[name])
    dbsession.flush()
    return [found[name] for name in names]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config_uri", help="for example development.ini")
    parser.add_argument(
        "--items", type=int, default=1000, help="items wanted (default 1000)"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.items < 0:
        print("seed: --items must be 0 or more", file=sys.stderr)
        return 2
    setup_logging(args.config_uri)
    with bootstrap(args.config_uri) as env:
        factory = env["registry"]["dbsession_factory"]
        started = time.perf_counter()
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            added = seed(get_tm_session(factory, tm), args.items)
        elapsed = time.perf_counter() - started
        env["registry"].cache.bump("items")
    rate = added / elapsed if elapsed else 0
    print(f"seed: added {added} items in {elapsed:.2f}s ({rate:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
