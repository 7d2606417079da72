"""Fixtures of the example's tests: a fresh in-process catalog per test.

``make remove-example`` deletes this folder with the rest of the example.
"""

import pytest

from {{ cookiecutter.repo_name }}.catalog.queries import MemoryCatalog

SEEDED_ITEMS = 120


@pytest.fixture(autouse=True)
def fresh_catalog(app):
    app.registry.catalog = MemoryCatalog(SEEDED_ITEMS)


@pytest.fixture
def committing_app(committing_app, app):
    """The core fixture; other app instances share this process's catalog."""

    def make(**settings):
        client = committing_app(**settings)
        client.app.registry.catalog = app.registry.catalog
        return client

    return make


@pytest.fixture
def client(testapp):
    """A page or API test's client: without a database there is one request
    path (the SQLAlchemy projects run these tests on two)."""
    return testapp
