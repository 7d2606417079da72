"""The names ``pshell development.ini`` adds (``[pshell] setup`` in the .ini).

* ``dbsession``: a session on the primary database, joined to ``tm``
* ``tm``: its transaction manager, begun: ``tm.commit()`` writes what the
  session holds, ``tm.abort()`` drops it; either ends the transaction, and
  ``tm.begin()`` starts the next one
* ``models``: every mapped class, by name (``models.Item``)
* ``cache``: the server-side cache (``cache.bump("items")`` after a write shows
  it in cached pages at once)

``request.dbsession`` is no use for writing here: the shell's request is a GET,
whose session is read-only (``db/__init__.py``) and raises ``ReadOnlyRequest``.
What is not committed when the shell exits is rolled back.
"""

import contextlib
from types import SimpleNamespace

import transaction
from transaction.interfaces import NoTransaction

from ..db import get_tm_session
from ..db.base import Base


def mapped_classes():
    """The models the app imported, as ``models.Name``."""
    return SimpleNamespace(
        **{mapper.class_.__name__: mapper.class_ for mapper in Base.registry.mappers}
    )


def setup(env):
    registry = env["registry"]
    tm = transaction.TransactionManager(explicit=True)
    dbsession = get_tm_session(registry["dbsession_factory"], tm)
    env["tm"] = tm
    env["dbsession"] = dbsession
    env["models"] = mapped_classes()
    env["cache"] = registry.cache
    tm.begin()
    try:
        yield
    finally:
        with contextlib.suppress(NoTransaction):  # committed or aborted already
            tm.abort()
        dbsession.close()
