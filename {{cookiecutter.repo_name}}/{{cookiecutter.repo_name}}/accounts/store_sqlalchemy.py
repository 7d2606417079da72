"""The example's accounts in the database (``models.User``).

One query per call, by primary key or by the unique name: a signed-in page
costs one indexed lookup.
"""

from sqlalchemy import select

from ..web.passwords import hash_password
from .account import Account
from .models import User

COLUMNS = (User.id, User.name, User.created_at)


def load_account(request, user_id):
    """The account with id ``user_id``, or None (deleted, or a bad id)."""
    if not isinstance(user_id, int):
        return None
    row = request.dbsession.execute(select(*COLUMNS).where(User.id == user_id)).first()
    return None if row is None else Account(*row)


def find_account(request, name):
    """``(account, password hash)`` of the user called ``name``, or None."""
    row = request.dbsession.execute(
        select(*COLUMNS, User.password_hash).where(User.name == name)
    ).first()
    return None if row is None else (Account(*row[:3]), row[3])


def ensure_user(dbsession, name, password):
    """Create user ``name`` unless it exists; return whether it was created."""
    if dbsession.scalar(select(User.id).where(User.name == name)) is not None:
        return False
    dbsession.add(User(name=name, password_hash=hash_password(password)))
    dbsession.flush()
    return True


def includeme(config):
    pass
