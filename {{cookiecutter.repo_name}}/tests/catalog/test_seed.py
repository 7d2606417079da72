"""The seed command: batches, idempotence, the demo user and its command line."""

import re

from sqlalchemy import create_engine, func, select, text

from {{ cookiecutter.repo_name }}.catalog.models import Category, Item
from {{ cookiecutter.repo_name }}.catalog.sample import CATEGORIES
from {{ cookiecutter.repo_name }}.catalog.seed import seed
from {{ cookiecutter.repo_name }}.scripts import seed as seed_script
from {{ cookiecutter.repo_name }}.web.passwords import verify_password

from ..conftest import migrate
from .conftest import SEEDED_ITEMS


def count(dbsession, model):
    return dbsession.scalar(select(func.count()).select_from(model))


def seed_ini(tmp_path, url):
    """A bare settings file for the seed command: no secret, no cache."""
    ini = tmp_path / "seed.ini"
    ini.write_text(
        "[app:main]\n"
        "use = call:{{ cookiecutter.repo_name }}:main\n"
        "app.environment = testing\n"
        "cache.url = none://\n"
        f"sqlalchemy.url = {url}\n",
        encoding="utf-8",
    )
    return ini


def test_seed_is_idempotent_and_tops_up(dbsession):
    assert seed(dbsession, SEEDED_ITEMS) == 0
    assert seed(dbsession, SEEDED_ITEMS + 30) == 30
    assert count(dbsession, Item) == SEEDED_ITEMS + 30
    assert seed(dbsession, SEEDED_ITEMS + 30) == 0
    assert count(dbsession, Category) == len(CATEGORIES)


def test_seed_command_line(app_settings, tmp_path, capsys, dbengine):
    ini = seed_ini(tmp_path, app_settings["sqlalchemy.url"])
    assert seed_script.main([str(ini), "--items", str(SEEDED_ITEMS)]) == 0
    output = capsys.readouterr().out
    assert "added 0 items" in output
    assert "the demo user 'demo' exists" in output
    assert seed_script.main([str(ini), "--items", "-1"]) == 2


def test_seed_reports_each_batch_to_progress(dbsession):
    calls = []
    seed(dbsession, SEEDED_ITEMS + 2500, lambda added, wanted: calls.append(added))
    assert calls == [1000, 2000, 2500]


def test_large_seeds_print_progress_every_tenth(capsys):
    progress = seed_script.progress_printer(started=0.0)
    wanted = seed_script.PROGRESS_FROM * 10
    for added in range(1000, wanted + 1, 1000):
        progress(added, wanted)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10
    assert lines[0].startswith(f"seed: {wanted // 10:,}/{wanted:,} items (")
    assert lines[-1].startswith(f"seed: {wanted:,}/{wanted:,} items")


def test_small_seeds_print_no_progress(capsys):
    progress = seed_script.progress_printer(started=0.0)
    for added in (1000, 2000, 2500):
        progress(added, 2500)
    assert capsys.readouterr().err == ""


def test_seed_makes_the_demo_user_a_random_password_unless_given(
    app_settings, ini_file, tmp_path, capsys
):
    """Production sets none (DEMO_PASSWORD): each seeded database gets its own."""
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    migrate(ini_file, {**app_settings, "sqlalchemy.url": url})
    ini = seed_ini(tmp_path, url)
    assert seed_script.main([str(ini), "--items", "0"]) == 0
    printed = re.search(r"as demo / (\S+)", capsys.readouterr().out).group(1)
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.scalar(text("SELECT password_hash FROM users"))
    engine.dispose()

    assert len(printed) >= 16 and printed not in stored
    assert verify_password(printed, stored)
