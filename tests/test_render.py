"""Render tier: every combination of answers bakes into a clean project."""

import configparser
import py_compile
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from .combinations import COVERING, DATABASE_IGNORED, SUPPORTED, slug

LEFTOVER = re.compile(r"\{\{|\{%|\{#|cookiecutter\.")
ENGINE_EXTENSIONS = {"chameleon": ".pt", "jinja2": ".jinja2", "mako": ".mako"}
RUFF = [sys.executable, "-m", "ruff"]

# A few files that prove each answer took effect (present) or left no trace (absent).
MARKERS = {
    ("orm", "sqlalchemy"): [
        "{pkg}/db/models.py",
        "{pkg}/alembic/versions/0001_initial_catalog.py",
        "{pkg}/seed.py",
        "tests/test_db.py",
    ],
    ("orm", "none"): ["tests/test_catalog_memory.py"],
    ("concurrency", "gevent"): ["tests/test_serve_gevent.py"],
}
DEPENDENCIES = {
    ("cache_backend", "redis"): "redis[hiredis]",
    ("cache_backend", "memcached"): "pymemcache",
    ("orm", "sqlalchemy"): "SQLAlchemy",
    ("database", "postgresql"): "psycopg[binary]",
    ("template_engine", "chameleon"): "pyramid_chameleon",
    ("template_engine", "jinja2"): "pyramid_jinja2",
    ("template_engine", "mako"): "pyramid_mako",
    ("concurrency", "threads"): "granian",
    ("concurrency", "gevent"): "gevent",
}


def project_files(project):
    return [path for path in project.rglob("*") if path.is_file()]


def is_project_jinja2_template(path):
    return path.suffix == ".jinja2" and path.parent.name == "templates"


@pytest.fixture(params=SUPPORTED, ids=slug)
def project(request, baked):
    answers = request.param
    return answers, baked(repo_name="shop", **answers)


def test_no_template_syntax_is_left(project):
    _, path = project
    for file in project_files(path):
        if is_project_jinja2_template(file) or file.suffix == ".gz":
            continue  # the project's own templates; precompressed static files
        text = file.read_text(encoding="utf-8")
        assert not LEFTOVER.search(text), (
            f"{file.relative_to(path)}: {LEFTOVER.search(text)}"
        )


def test_files_match_the_answers(project):
    answers, path = project
    files = {str(file.relative_to(path)) for file in project_files(path)}
    for (field, value), markers in MARKERS.items():
        for marker in markers:
            present = marker.format(pkg="shop") in files
            assert present == (answers[field] == value), (marker, answers)
    extension = ENGINE_EXTENSIONS[answers["template_engine"]]
    templates = {
        Path(name).suffix for name in files if name.startswith("shop/templates/")
    }
    assert templates == {extension}
    assert "shop/catalog.py" in files and "shop/templating.py" in files
    assert "tests/conftest.py" in files
    # whole-file alternatives are renamed to their real name, none left behind
    variants = re.compile(r"(^|/)(catalog|templating|conftest)_\w+\.py$")
    assert [name for name in files if variants.search(name)] == []


def test_dependencies_match_the_answers(project):
    answers, path = project
    pyproject = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    dependencies = " ".join(pyproject["project"]["dependencies"])
    for (field, value), requirement in DEPENDENCIES.items():
        assert (requirement in dependencies) == (answers[field] == value), requirement
    assert "pyramid_debugtoolbar" not in dependencies
    assert any(
        "pyramid_debugtoolbar" in dev
        for dev in pyproject["project"]["optional-dependencies"]["dev"]
    )


def test_python_compiles_and_config_parses(project):
    _, path = project
    for file in path.rglob("*.py"):
        py_compile.compile(str(file), doraise=True)
    for ini in path.glob("*.ini"):
        parser = configparser.ConfigParser(
            defaults={"here": str(path), "__file__": str(ini)}
        )
        parser.read(ini, encoding="utf-8")
        for section in parser.sections():
            # logging's fileConfig reads formatters raw; everything else interpolates
            raw = section.startswith("formatter_")
            dict(parser.items(section, raw=raw))
        assert parser["app:main"]["use"] == "call:shop:main"


def assert_ruff_clean(path):
    for command in (
        ["check", "--no-cache", "."],
        ["format", "--check", "--no-cache", "."],
    ):
        result = subprocess.run(
            RUFF + command, cwd=path, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean(project):
    assert_ruff_clean(project[1])


@pytest.mark.parametrize("name", ["q", "a_package_name_of_thirty_two_chr"])
@pytest.mark.parametrize("answers", COVERING, ids=slug)
def test_ruff_is_clean_for_the_shortest_and_longest_names(tmp_path, answers, name):
    """Line lengths depend on the package name: lint both ends of the range."""
    from .conftest import bake

    assert_ruff_clean(bake(tmp_path, repo_name=name, **answers))


# The lines write_secrets fills with fresh random values on every bake.
SECRET_LINE = re.compile(rb"(?m)^(secret_key|profiling\.token) = \S+$")


def contents(project):
    return {
        str(file.relative_to(project)): SECRET_LINE.sub(rb"\1 = ...", file.read_bytes())
        for file in project_files(project)
    }


@pytest.mark.parametrize("answers", DATABASE_IGNORED, ids=slug)
def test_orm_none_bakes_the_same_project_whatever_the_database(tmp_path, answers):
    from .conftest import bake

    ignored = bake(tmp_path / "ignored", repo_name="shop", **answers)
    sqlite = bake(
        tmp_path / "sqlite", repo_name="shop", **answers | {"database": "sqlite"}
    )
    assert contents(ignored) == contents(sqlite)
