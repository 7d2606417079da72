#!/usr/bin/env python3
"""Database benchmark: ``/items`` (50 rows a page) as generated versus naive.

    python benchmarks/db_bench.py PROJECT_DIR [--database-url URL] [--items N]

PROJECT_DIR is a baked project (its package importable with this Python).
Both variants run in process through WebTest, with the server-side cache off
(``none://``), so every request reaches the database:

* generated: keyset pagination, joinedload + selectinload, description
  deferred, every foreign key and ordering column indexed;
* naive: OFFSET pagination, lazy loading (one query per row and relationship),
  full entities, no index beyond the primary keys (a database of its own).

Prints requests/s and queries/request for page 1 and a deep page. A
benchmark, not a test: compare the ratios, not the absolute numbers.
"""

import argparse
import sys
import time
from pathlib import Path

from bench.config import REPO_NAME, SEED_MODULE
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.orm import lazyload

NAIVE_DROPS = ("ix_items_category_id", "ix_items_updated_at", "ix_item_tags_tag_id")


def build_database(project, settings, items, naive):
    import alembic.command
    import alembic.config
    import transaction

    package = __import__(REPO_NAME, fromlist=["db"])
    db = sys.modules[f"{REPO_NAME}.db"]  # imported with the package
    seed = __import__(f"{REPO_NAME}.{SEED_MODULE}", fromlist=["seed"]).seed
    config = alembic.config.Config(str(project / "testing.ini"))
    config.attributes["settings"] = settings
    alembic.command.upgrade(config, "head")
    app = package.main({}, **settings)
    tm = transaction.TransactionManager(explicit=True)
    started = time.perf_counter()
    with tm:
        added = seed(db.get_tm_session(app.registry["dbsession_factory"], tm), items)
    if added:
        rate = added / (time.perf_counter() - started)
        print(f"  seeded {added} items ({rate:,.0f} rows/s)")
    if naive:
        engine = app.registry["dbengine"]
        with engine.begin() as connection:
            for index in NAIVE_DROPS:
                connection.execute(text(f"DROP INDEX IF EXISTS {index}"))
    return app


def naive_item_page(request, page, per_page=50, after=None):
    """The textbook version: OFFSET, full rows, relationships loaded lazily."""
    models = sys.modules[f"{REPO_NAME}.catalog.models"]
    item = models.Item
    rows = request.dbsession.scalars(
        select(item)
        .options(lazyload("*"))
        .order_by(item.id)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    summaries = [
        {
            "id": row.id,
            "name": row.name,
            "price_cents": row.price_cents,
            "description": row.description,
            "category": {"id": row.category.id, "name": row.category.name},
            "tags": sorted(tag.name for tag in row.tags),
        }
        for row in rows[:per_page]
    ]
    return {
        "items": summaries,
        "page": page,
        "per_page": per_page,
        "has_next": len(rows) > per_page,
        "next_after": None,
    }


def measure(testapp, path, seconds):
    """requests/s, queries per request, database ms per request."""
    querystats = sys.modules[f"{REPO_NAME}.db.querystats"]
    testapp.get(path, status=200)  # warm: templates compiled, pool filled
    requests, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    with querystats.collect() as stats:
        while time.perf_counter() < deadline:
            testapp.get(path, status=200)
            requests += 1
    elapsed = time.perf_counter() - started
    return requests / elapsed, stats.count / requests, stats.milliseconds / requests


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--database-url", help="PostgreSQL server URL (no database)")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    project = args.project.resolve()
    sys.path.insert(0, str(project))
    import webtest
    from pyramid.paster import get_appsettings

    base = dict(get_appsettings(str(project / "testing.ini")))
    base.update({"cache.url": "none://", "server_timing": "false"})
    deep = args.items // 50 - 10
    print(f"{args.items} items, 50 per page, deep page {deep}, {args.seconds:g} s each")
    for variant in ("generated", "naive"):
        naive = variant == "naive"
        if args.database_url:
            url = make_url(args.database_url)
            name = f"db_bench_{variant}"
            admin = create_engine(url.set(database="postgres"))
            with admin.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                connection.execute(
                    text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            database = url.set(database=name).render_as_string(hide_password=False)
        else:
            path = Path(f"/tmp/db_bench_{variant}.sqlite")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            database = f"sqlite:///{path}"
        print(f"{variant} ({make_url(database).get_backend_name()}):")
        settings = {**base, "sqlalchemy.url": database}
        app = build_database(project, settings, args.items, naive)
        catalog = sys.modules[f"{REPO_NAME}.catalog"]
        original = catalog.item_page
        if naive:
            catalog.item_page = naive_item_page
        testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
        paths = {"page 1": "/items", f"page {deep}": f"/items?page={deep}"}
        if not naive:
            after = (deep - 1) * 50  # ids are dense in the seeded catalog
            paths[f"page {deep} (Next link)"] = f"/items?page={deep}&after={after}"
        for label, path in paths.items():
            rate, queries, db_ms = measure(testapp, path, args.seconds)
            print(
                f"  {label:24} {rate:7.1f} req/s {queries:6.0f} queries/request"
                f" {db_ms:7.2f} ms in the database/request"
            )
        catalog.item_page = original
        app.registry["dbengine"].dispose()


if __name__ == "__main__":
    main()
