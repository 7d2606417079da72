"""The shipped migration, the models' indexes and the lazy-load guard."""

import alembic.command
import alembic.config
import pytest
from sqlalchemy import create_engine, inspect, make_url, select, text
from sqlalchemy.exc import InvalidRequestError

from {{ cookiecutter.repo_name }}.catalog.models import Item

from ..conftest import migrate


@pytest.fixture
def empty_database(tmp_path, app_settings):
    """Settings for a database of its own: a SQLite file, or ``<test db>_empty``."""
    url = make_url(app_settings["sqlalchemy.url"])
    if url.get_backend_name() == "sqlite":
        path = tmp_path / "empty.sqlite"
        yield {**app_settings, "sqlalchemy.url": f"sqlite:///{path}"}
        return
    name = f"{url.database}_empty"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as connection:
        connection.execute(drop)
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    empty = url.set(database=name).render_as_string(hide_password=False)
    yield {**app_settings, "sqlalchemy.url": empty}
    with admin.connect() as connection:
        connection.execute(drop)
    admin.dispose()


def test_migration_builds_an_empty_database_that_matches_the_models(
    ini_file, empty_database
):
    config = migrate(ini_file, empty_database)
    alembic.command.check(config)  # raises if the models and migrations disagree
    engine = create_engine(empty_database["sqlalchemy.url"])
    tables = set(inspect(engine).get_table_names())
    assert {"categories", "items", "tags", "item_tags", "alembic_version"} <= tables
    alembic.command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


def test_every_foreign_key_is_indexed(dbengine):
    inspector = inspect(dbengine)
    for table in ("items", "item_tags"):
        indexes = inspector.get_indexes(table)
        indexed = {index["column_names"][0] for index in indexes}
        indexed |= {inspector.get_pk_constraint(table)["constrained_columns"][0]}
        foreign_keys = inspector.get_foreign_keys(table)
        assert foreign_keys, table  # items -> categories, item_tags -> both
        for foreign_key in foreign_keys:
            assert foreign_key["constrained_columns"][0] in indexed, (
                table,
                foreign_key,
            )


def test_unplanned_lazy_load_is_an_error(dbsession):
    item = dbsession.scalars(select(Item).limit(1)).one()
    with pytest.raises(InvalidRequestError, match="lazy='raise'"):
        _ = item.category


def test_offline_migration_renders_the_sql(ini_file, capsys):
    """``alembic upgrade head --sql``: the script a DBA can review and apply."""
    alembic.command.upgrade(alembic.config.Config(ini_file), "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE items" in sql
    assert "CREATE INDEX ix_items_category_id" in sql
