"""The parts of the catalog that writes name and pages depend on.

A write names what it changed (``request.cache.changed(DATASET, item(7))``);
a page names what it shows (``request.cache.depends_on``, see ``shows``), and
only the stored pages showing a changed part retire (``caching/datasets.py``).
"""

NEW = "new"  # the set grew: the last list page, home's latest items and counts


def item(item_id):
    """An item's own fields, tags and category."""
    return f"item:{item_id}"


def category(category_id):
    """A category's name (and, on home, its count)."""
    return f"category:{category_id}"


def of_items(items):
    """The scopes of the item summaries (or details) a page shows."""
    scopes = []
    for shown in items:
        scopes.append(item(shown["id"]))
        scopes.append(category(shown["category"]["id"]))
    return scopes
