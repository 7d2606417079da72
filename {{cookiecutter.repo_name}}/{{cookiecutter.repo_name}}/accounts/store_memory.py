"""The example's accounts in this process (no database).

The demo user is made at start-up from ``accounts.demo_password``
(``DEMO_PASSWORD`` in production; ``demo.py``); with none set there is no one
to sign in as. Every worker derives the same account from the same setting,
so a session made by one worker is understood by the others.
"""

import logging
from datetime import datetime, timezone

from ..web.passwords import hash_password
from .account import Account
from .demo import DEMO_NAME, demo_password

log = logging.getLogger(__name__)

CREATED_AT = datetime(2024, 1, 1, tzinfo=timezone.utc)


class MemoryAccounts:
    def __init__(self):
        self.by_id = {}  # id -> Account
        self.by_name = {}  # name -> (Account, password hash)

    def add(self, name, password):
        account = Account(len(self.by_id) + 1, name, CREATED_AT)
        self.by_id[account.id] = account
        self.by_name[name] = (account, hash_password(password))
        return account


def load_account(request, user_id):
    """The account with id ``user_id``, or None."""
    return request.registry.accounts.by_id.get(user_id)


def find_account(request, name):
    """``(account, password hash)`` of the user called ``name``, or None."""
    return request.registry.accounts.by_name.get(name)


def includeme(config):
    settings = config.get_settings()
    accounts = config.registry.accounts = MemoryAccounts()
    password = demo_password(settings)
    if password:
        accounts.add(DEMO_NAME, password)
        if settings.get("app.environment") == "development":
            log.info("sign in as %s / %s", DEMO_NAME, password)
