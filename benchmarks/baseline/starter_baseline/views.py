"""Views as a developer writes them from the starter: query, hand to template."""

import http.client
import os

from pyramid.view import view_config
from sqlalchemy import func

from .models import Category, Item

PER_PAGE = 50


def _page(request):
    try:
        return max(1, int(request.params.get("page", 1)))
    except ValueError:
        return 1


@view_config(route_name="home", renderer="starter_baseline:templates/home.jinja2")
def home(request):
    db = request.dbsession
    counts = (
        db.query(Category.name, func.count(Item.id))
        .outerjoin(Item, Item.category_id == Category.id)
        .group_by(Category.name)
        .order_by(Category.name)
        .all()
    )
    latest = db.query(Item).order_by(Item.id.desc()).limit(5).all()
    return {"counts": counts, "total": sum(n for _, n in counts), "latest": latest}


def _listing(request):
    page = _page(request)
    query = request.dbsession.query(Item).order_by(Item.id)
    total = query.count()
    items = query.offset((page - 1) * PER_PAGE).limit(PER_PAGE).all()
    return page, total, items


@view_config(route_name="items", renderer="starter_baseline:templates/items.jinja2")
def items(request):
    page, total, items = _listing(request)
    pages = (total + PER_PAGE - 1) // PER_PAGE
    return {"items": items, "page": page, "pages": pages}


@view_config(route_name="api_items", renderer="json")
def api_items(request):
    page, total, items = _listing(request)
    return {
        "page": page,
        "total": total,
        "items": [
            {
                "id": item.id,
                "name": item.name,
                "price_cents": item.price_cents,
                "category": {"id": item.category.id, "name": item.category.name},
                "tags": sorted(tag.name for tag in item.tags),
            }
            for item in items
        ],
    }


@view_config(route_name="io", renderer="json")
def io(request):
    """Wait on the slow upstream (io_app.py's /io-new-connection: the same call)."""
    host, port = os.environ["UPSTREAM"].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/slow")
        body = conn.getresponse().read()
    finally:
        conn.close()
    return {"upstream": body.decode()}
