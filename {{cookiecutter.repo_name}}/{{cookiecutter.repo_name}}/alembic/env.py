"""Alembic environment: the database URL comes from the app's settings.

Tests pass their own settings in ``config.attributes["settings"]``. Import
every module that defines models below, so ``alembic revision --autogenerate``
and ``alembic check`` see their tables.
"""

from alembic import context
from pyramid.paster import get_appsettings, setup_logging

import {{ cookiecutter.repo_name }}.accounts.models  # the example's users
import {{ cookiecutter.repo_name }}.catalog.models  # noqa: F401 (the example's tables)
from {{ cookiecutter.repo_name }}.db.base import Base
from {{ cookiecutter.repo_name }}.db.engine import make_engine
from {{ cookiecutter.repo_name }}.settings import settings_from_environment

config = context.config
settings = config.attributes.get("settings")
if settings is None:
    setup_logging(config.config_file_name)
    settings = settings_from_environment(get_appsettings(config.config_file_name))
target_metadata = Base.metadata


def run_migrations_offline():
    context.configure(url=settings["sqlalchemy.url"], target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = make_engine(settings)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
