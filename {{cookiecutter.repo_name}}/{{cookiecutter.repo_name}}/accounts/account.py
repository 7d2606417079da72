"""What the app knows of a signed-in user: plain data, safe to cache or copy."""

from datetime import datetime
from typing import NamedTuple


class Account(NamedTuple):
    id: int
    name: str
    created_at: datetime
