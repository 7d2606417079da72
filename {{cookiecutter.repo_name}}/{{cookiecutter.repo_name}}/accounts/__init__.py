"""The example's signed-in area: user accounts, sign in and out, a per-user page.

Generic parts are infrastructure and stay when the example goes: the security
policy over the signed session and ``config.set_identity_loader``
(``web/identity.py``), password hashing (``web/passwords.py``). What names the
example's users lives here (the account store, the demo user) and in
``views/accounts.py``; ``make remove-example`` deletes all of it.

The layout shows the signed-in user's name on every page without storing it
in any page: each page holds the same "Sign in" link for everyone, and
``assets/whoami.js`` asks ``/whoami`` (private, never stored) for the name
when the ``signed_in`` hint cookie is set.
"""

from ..web.identity import SignedInArea
from .account import Account
from .store import find_account, load_account

__all__ = ["Account", "find_account", "load_account"]


def includeme(config):
    config.include(".store")
    config.set_identity_loader(load_account)
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("whoami", "/whoami")
    config.add_route("account", "/account", factory=SignedInArea)
