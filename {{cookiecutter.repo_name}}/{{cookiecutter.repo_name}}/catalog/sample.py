"""The example's sample data: the same rows for the database seed and the
in-process catalog, so both data layers show the same pages."""

CATEGORIES = ("Books", "Garden", "Kitchen", "Music", "Toys")
TAGS = ("new", "sale", "popular", "gift", "eco")
DEFAULT_ITEMS = 1000  # what `make run` and `make demo-data` seed


def sample_item(number):
    """Item ``number`` (1-based) with its category and tag *names*."""
    return {
        "name": f"Item {number:04d}",
        "price_cents": 100 + (number * 37) % 9900,
        "category": CATEGORIES[number % len(CATEGORIES)],
        "tags": sorted({TAGS[number % len(TAGS)], TAGS[(number * 3) % len(TAGS)]}),
        "description": f"Item number {number}. " * 20,
    }
