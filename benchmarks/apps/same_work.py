"""The same-work ceiling of a cold ``/items?page=1``: a minimal Pyramid view.

It runs the queries the project's cold page runs (the page's rows with their
category, their tags; the ETag's version check only once per second, as the
project reuses it for ``httpcache.version_ttl``), in autocommit as the
project's reads, on the project's database (``DATABASE_URL``), and returns
the project's captured bytes for the page (``CEILING_PAGES``, see ceiling.py)
without rendering them: the best a cold render of that page can do with the
same database work on this server.
"""

import os
import time

from ceiling import captured_pages, catch_all_app, page_response
from sqlalchemy import bindparam, create_engine, text

PER_PAGE = 50
VERSION_TTL = 1.0  # seconds: the project's httpcache.version_ttl in production
VERSION = text(
    "SELECT (SELECT max(id) FROM items), (SELECT max(updated_at) FROM items)"
)
ROWS = text(
    "SELECT items.id, items.name, items.price_cents, categories.id, categories.name"
    " FROM items LEFT OUTER JOIN categories ON categories.id = items.category_id"
    " WHERE items.id > :after ORDER BY items.id LIMIT :limit"
)
TAGS = text(
    "SELECT item_tags.item_id, tags.name FROM item_tags"
    " JOIN tags ON tags.id = item_tags.tag_id WHERE item_tags.item_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def make_app():
    pages = captured_pages()
    engine = create_engine(os.environ["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    version_read = [0.0]  # when this process last read the version

    def page(request):
        with engine.connect() as connection:
            if time.monotonic() - version_read[0] >= VERSION_TTL:
                connection.execute(VERSION).one()
                version_read[0] = time.monotonic()
            rows = connection.execute(ROWS, {"after": 0, "limit": PER_PAGE + 1}).all()
            ids = [row[0] for row in rows[:PER_PAGE]]
            connection.execute(TAGS, {"ids": ids}).all()
        return page_response(pages, request)

    return catch_all_app(page)


app = make_app() if os.environ.get("CEILING_PAGES") else None
