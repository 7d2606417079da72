"""``pshell development.ini``: the set-up gives a session that writes when the
shell commits (``request.dbsession`` there is a GET's read-only session)."""

import configparser
import uuid
from pathlib import Path

import pytest
from pyramid.scripting import prepare
from sqlalchemy import delete, select

from {{ cookiecutter.repo_name }}.catalog.models import Category
from {{ cookiecutter.repo_name }}.db import ReadOnlyRequest
from {{ cookiecutter.repo_name }}.scripts import pshell

ROOT = Path(__file__).resolve().parents[2]


def test_development_ini_names_the_setup():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "development.ini")
    assert parser["pshell"]["setup"] == f"{pshell.__name__}.setup"


@pytest.fixture
def shell(app, dbengine):
    """The names a pshell session sees, and its exit (``shell.close()``)."""
    env = prepare(registry=app.registry)
    session = pshell.setup(env)
    next(session)
    yield env, session
    session.close()
    env["closer"]()
    with dbengine.begin() as connection:
        connection.execute(delete(Category).where(Category.name.like("pshell-%")))


def names_in_the_database(dbengine):
    with dbengine.connect() as connection:
        return set(connection.scalars(select(Category.name)))


def test_the_shell_writes_what_it_commits(shell, dbengine):
    env, _ = shell
    assert env["models"].Category is Category
    name = f"pshell-{uuid.uuid4().hex[:8]}"
    env["dbsession"].add(env["models"].Category(name=name))
    env["tm"].commit()
    assert name in names_in_the_database(dbengine)


def test_what_is_not_committed_is_rolled_back_at_exit(shell, dbengine):
    env, session = shell
    name = f"pshell-{uuid.uuid4().hex[:8]}"
    env["dbsession"].add(Category(name=name))
    env["dbsession"].flush()
    session.close()  # the shell exits
    assert name not in names_in_the_database(dbengine)


def test_the_requests_session_stays_read_only(shell):
    env, _ = shell
    env["request"].dbsession.add(Category(name=f"pshell-{uuid.uuid4().hex[:8]}"))
    with pytest.raises(ReadOnlyRequest):
        env["request"].dbsession.flush()
