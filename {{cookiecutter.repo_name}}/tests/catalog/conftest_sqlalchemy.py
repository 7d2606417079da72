"""Fixtures of the example's tests: the catalog and the demo user seeded once,
writes deleted.

``make remove-example`` deletes this folder with the rest of the example.
"""

import pytest
import transaction
from sqlalchemy import delete

from {{ cookiecutter.repo_name }}.accounts.demo import DEMO_NAME, demo_password
from {{ cookiecutter.repo_name }}.accounts.store import ensure_user
from {{ cookiecutter.repo_name }}.catalog.models import Item, Tag, item_tags
from {{ cookiecutter.repo_name }}.catalog.sample import TAGS
from {{ cookiecutter.repo_name }}.catalog.seed import seed
from {{ cookiecutter.repo_name }}.db import get_tm_session

SEEDED_ITEMS = 120


@pytest.fixture(scope="session", autouse=True)
def seeded(app, dbengine):
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        dbsession = get_tm_session(app.registry["dbsession_factory"], tm)
        seed(dbsession, SEEDED_ITEMS)
        ensure_user(dbsession, DEMO_NAME, demo_password(app.registry.settings))


@pytest.fixture
def committing_app(committing_app, dbengine):
    """The core fixture, then the example's rows a test added are deleted."""
    yield committing_app
    with dbengine.begin() as connection:
        connection.execute(delete(item_tags).where(item_tags.c.item_id > SEEDED_ITEMS))
        connection.execute(delete(Item).where(Item.id > SEEDED_ITEMS))
        connection.execute(delete(Tag).where(Tag.name.not_in(TAGS)))


@pytest.fixture(params=["rolled-back", "committing"])
def client(request):
    """A page or API test on both request paths.

    ``testapp`` shares the test's transaction, never committed; the committing
    app is the real path: pyramid_tm commits writes, GETs get a read-only
    session (a GET that writes fails), and errors raised at commit reach the
    client. The committing app's rows are deleted after the test.
    """
    if request.param == "rolled-back":
        return request.getfixturevalue("testapp")
    return request.getfixturevalue("committing_app")()
