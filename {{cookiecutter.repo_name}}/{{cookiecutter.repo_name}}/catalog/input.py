"""The example's JSON body for a new item: a plain parser, clear messages."""

from dataclasses import dataclass

from ..validation import MAX_ID, InvalidInput

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_TAGS = 10
MAX_TAG = 50
MAX_PRICE_CENTS = 100_000_000


@dataclass(frozen=True)
class NewItem:
    name: str
    price_cents: int
    category_id: int
    description: str = ""
    tags: tuple = ()


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def parse_new_item(body):
    """Return a ``NewItem`` from a decoded JSON body, or raise ``InvalidInput``."""
    if not isinstance(body, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    errors = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "required, a non-empty string"
    elif len(name) > MAX_NAME:
        errors["name"] = f"at most {MAX_NAME} characters"
    price = body.get("price_cents")
    if not _is_int(price) or not 0 <= price <= MAX_PRICE_CENTS:
        errors["price_cents"] = f"required, an integer from 0 to {MAX_PRICE_CENTS}"
    category_id = body.get("category_id")
    if not _is_int(category_id) or not 1 <= category_id <= MAX_ID:
        errors["category_id"] = f"required, an integer from 1 to {MAX_ID}"
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        errors["description"] = f"a string of at most {MAX_DESCRIPTION} characters"
    tags = body.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > MAX_TAGS
        or not all(
            isinstance(tag, str) and 0 < len(tag.strip()) <= MAX_TAG for tag in tags
        )
    ):
        errors["tags"] = (
            f"a list of at most {MAX_TAGS} non-empty strings "
            f"of at most {MAX_TAG} characters"
        )
    if errors:
        raise InvalidInput(errors)
    return NewItem(
        name=name.strip(),
        price_cents=price,
        category_id=category_id,
        description=description,
        tags=tuple(dict.fromkeys(tag.strip() for tag in tags)),
    )
