"""The demo user: a name, and a password that is never fixed in the code.

Development and testing read it from their .ini files, where the project
generator wrote a random one per project. Production reads ``DEMO_PASSWORD``;
without it the database seed (``make demo-data``) makes a random one and
prints it once, and the in-process store (orm=none) has no demo user.
"""

import secrets

DEMO_NAME = "demo"


def demo_password(settings):
    """``accounts.demo_password``, or None when none is set."""
    return settings.get("accounts.demo_password", "").strip() or None


def new_password():
    return secrets.token_urlsafe(12)
