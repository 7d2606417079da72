"""Request input: plain parsers with clear messages (``InvalidInput`` is a 400)."""

from pyramid.httpexceptions import HTTPNotFound

# Ids are 32-bit INTEGER columns: a larger number would be a database error.
MAX_ID = 2**31 - 1


class InvalidInput(ValueError):
    """Input rejected; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def parse_page(value):
    """``?page=N``: a positive integer within reach; anything else is an error."""
    if value is None:
        return 1
    if not value.isdecimal() or len(value) > 6 or int(value) < 1:
        raise InvalidInput({"page": "a positive integer (1-999999)"})
    return int(value)


def parse_after(value):
    """``?after=ID`` (the Next link's keyset cursor): absent, or a positive id."""
    if value is None:
        return None
    if not value.isdecimal() or len(value) > 10 or int(value) > MAX_ID:
        raise InvalidInput({"after": f"a row id (an integer up to {MAX_ID})"})
    return int(value)


def parse_id(value):
    """A route's ``{id:\\d+}`` as an int; beyond ``MAX_ID`` no such row can exist."""
    if len(value) > len(str(MAX_ID)) or int(value) > MAX_ID:
        raise HTTPNotFound("Nothing has that id.")
    return int(value)
