"""``pshell development.ini``: the set-up gives a session that writes when the
shell commits (``request.dbsession`` there is a GET's read-only session).

The writes go to a table of the test's own (on a declarative base of its own,
so the project's models and migrations never see it): ``make remove-example``
keeps this test.
"""

import configparser
import uuid
from pathlib import Path

import pytest
from pyramid.scripting import prepare
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from {{ cookiecutter.repo_name }}.db import ReadOnlyRequest
from {{ cookiecutter.repo_name }}.db.base import Base
from {{ cookiecutter.repo_name }}.scripts import pshell

ROOT = Path(__file__).resolve().parents[1]


class ShellTestBase(DeclarativeBase):
    pass


class Note(ShellTestBase):
    __tablename__ = "pshell_notes"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)


def test_development_ini_names_the_setup():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "development.ini")
    assert parser["pshell"]["setup"] == f"{pshell.__name__}.setup"


@pytest.fixture
def shell(app, dbengine):
    """The names a pshell session sees, and its exit (``shell.close()``)."""
    ShellTestBase.metadata.create_all(dbengine)
    env = prepare(registry=app.registry)
    session = pshell.setup(env)
    next(session)
    yield env, session
    session.close()
    env["closer"]()
    ShellTestBase.metadata.drop_all(dbengine)


def names_in_the_database(dbengine):
    with dbengine.connect() as connection:
        return set(connection.scalars(select(Note.name)))


def test_the_shell_offers_every_mapped_class(shell):
    env, _ = shell
    mapped = {mapper.class_.__name__: mapper.class_ for mapper in Base.registry.mappers}
    assert vars(env["models"]) == mapped
    assert env["cache"] is env["registry"].cache


def test_the_shell_writes_what_it_commits(shell, dbengine):
    env, _ = shell
    name = f"pshell-{uuid.uuid4().hex[:8]}"
    env["dbsession"].add(Note(name=name))
    env["tm"].commit()
    assert name in names_in_the_database(dbengine)


def test_what_is_not_committed_is_rolled_back_at_exit(shell, dbengine):
    env, session = shell
    name = f"pshell-{uuid.uuid4().hex[:8]}"
    env["dbsession"].add(Note(name=name))
    env["dbsession"].flush()
    session.close()  # the shell exits
    assert name not in names_in_the_database(dbengine)


def test_the_requests_session_stays_read_only(shell):
    env, _ = shell
    env["request"].dbsession.add(Note(name="never"))
    with pytest.raises(ReadOnlyRequest):
        env["request"].dbsession.flush()
