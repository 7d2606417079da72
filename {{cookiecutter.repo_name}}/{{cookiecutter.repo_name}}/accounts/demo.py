"""The demo user: a name, and a password that is never fixed in the code.

Production reads ``DEMO_PASSWORD`` (``accounts.demo_password``); without it
the database seed (``make demo-data``) makes a random one and prints it once,
and the in-process store (orm=none) has no demo user. Development and testing
leave the setting empty and derive the password from the checkout's own
secret key (made at first start into the git-ignored ``.local_secrets.json``),
so nothing per project is written into tracked files.
"""

import base64
import hashlib
import hmac
import secrets

DEMO_NAME = "demo"


def demo_password(settings):
    """The demo user's password, or None when none is set (production) or
    there is no secret key to derive it from."""
    given = settings.get("accounts.demo_password", "").strip()
    key = settings.get("secret_key", "").encode()
    production = settings.get("app.environment", "production") == "production"
    if given or production or not key:
        return given or None
    digest = hmac.new(key, b"demo user password", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def new_password():
    return secrets.token_urlsafe(12)
