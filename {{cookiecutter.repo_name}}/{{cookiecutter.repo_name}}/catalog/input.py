"""The example's JSON bodies (a new item, a change): plain parsers, clear messages."""

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


@dataclass(frozen=True)
class ItemChange:
    """The fields a ``PATCH`` sets; None: left as it is."""

    name: str | None = None
    price_cents: int | None = None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _name_error(name):
    if not isinstance(name, str) or not name.strip():
        return "required, a non-empty string"
    if len(name) > MAX_NAME:
        return f"at most {MAX_NAME} characters"
    return None


def _price_error(price):
    if not _is_int(price) or not 0 <= price <= MAX_PRICE_CENTS:
        return f"required, an integer from 0 to {MAX_PRICE_CENTS}"
    return None


# The fields a new item and a change share, each with its check.
SHARED_FIELDS = {"name": _name_error, "price_cents": _price_error}


def parse_new_item(body):
    """Return a ``NewItem`` from a decoded JSON body, or raise ``InvalidInput``."""
    if not isinstance(body, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    errors = {}
    name = body.get("name")
    price = body.get("price_cents")
    for field, check in SHARED_FIELDS.items():
        if error := check(body.get(field)):
            errors[field] = error
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


CHANGEABLE = tuple(SHARED_FIELDS)


def parse_item_change(body):
    """Return an ``ItemChange`` from a decoded JSON body, or raise ``InvalidInput``.

    Each field given is checked as for a new item; at least one is required,
    and no other.
    """
    if not isinstance(body, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    errors = {field: "cannot be changed" for field in body if field not in CHANGEABLE}
    if not any(field in body for field in CHANGEABLE):
        errors["body"] = "give name, price_cents or both"
    for field, check in SHARED_FIELDS.items():
        if field in body and (error := check(body[field])):
            errors[field] = error
    name, price = body.get("name"), body.get("price_cents")
    if errors:
        raise InvalidInput(errors)
    return ItemChange(
        name=None if name is None else name.strip(),
        price_cents=price,
    )
