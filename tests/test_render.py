"""Render tier: every combination of answers bakes into a clean project."""

import ast
import configparser
import py_compile
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml

from .combinations import COVERING, DATABASE_IGNORED, SUPPORTED, slug

LEFTOVER = re.compile(r"\{\{|\{%|\{#|cookiecutter\.")
ENGINE_EXTENSIONS = {"chameleon": ".pt", "jinja2": ".jinja2", "mako": ".mako"}
RUFF = [sys.executable, "-m", "ruff"]

# A few files that prove each answer took effect (present) or left no trace (absent).
MARKERS = {
    ("orm", "sqlalchemy"): [
        "{pkg}/db/base.py",
        "{pkg}/catalog/models.py",
        "{pkg}/alembic/versions/0001_initial_catalog.py",
        "{pkg}/scripts/seed.py",
        "tests/catalog/test_db.py",
    ],
    ("orm", "none"): ["tests/catalog/test_catalog_memory.py"],
    ("concurrency", "gevent"): [
        "tests/test_serve_gevent.py",
        "{pkg}/scripts/gevent_worker.py",
    ],
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
    for renamed in (
        "shop/catalog/queries.py",
        "shop/rendering/templating.py",
        "shop/scripts/serve.py",
        "shop/clients/fanout.py",
        "tests/conftest.py",
        "tests/catalog/conftest.py",
    ):
        assert renamed in files
    # whole-file alternatives are renamed to their real name, none left behind
    variants = re.compile(
        r"(^|/)(queries|templating|serve|fanout|conftest|pshell)_\w+\.py$"
    )
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


def test_ruff_is_pinned_to_one_version_in_pyproject_and_pre_commit(project):
    """``make lint`` and the pre-commit hooks run the same ruff, pinned
    compatibly: ruff's minor releases change rules."""
    _, path = project
    pyproject = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    pins = [re.fullmatch(r"ruff~=(\d+\.\d+\.\d+)", spec) for spec in dev]
    (version,) = [pin.group(1) for pin in pins if pin]
    config = yaml.safe_load((path / ".pre-commit-config.yaml").read_text())
    (ruff,) = [
        repo for repo in config["repos"] if repo["repo"].endswith("/ruff-pre-commit")
    ]
    assert ruff["rev"] == "v" + version
    assert [hook["id"] for hook in ruff["hooks"]] == ["ruff-check", "ruff-format"]
    editorconfig = configparser.ConfigParser()
    editorconfig.read_string("[top]\n" + (path / ".editorconfig").read_text())
    assert editorconfig["*"]["end_of_line"] == "lf"
    assert editorconfig["Makefile"]["indent_style"] == "tab"


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


def contents(project):
    return {
        str(file.relative_to(project)): file.read_bytes()
        for file in project_files(project)
    }


def tracked_contents(project):
    """``{path: bytes}`` of every file git would track in a new repository
    (everything not git-ignored)."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--exclude-standard"],
        cwd=project,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return {name: (project / name).read_bytes() for name in listed.split("\0") if name}


@pytest.mark.parametrize("answers", COVERING[:1], ids=slug)
def test_two_bakes_with_the_same_answers_track_the_same_files(tmp_path, answers):
    """No secret or other per-bake value in a tracked file: ``cruft update``
    re-bakes with the project's answers and must see only the template's
    changes. The secrets are made at first start into a git-ignored file."""
    from .conftest import bake

    first = bake(tmp_path / "first", repo_name="shop", **answers)
    second = bake(tmp_path / "second", repo_name="shop", **answers)
    tracked = tracked_contents(first)
    assert "development.ini" in tracked and "shop/static-manifest.json" in tracked
    assert tracked == tracked_contents(second)
    ignored = subprocess.run(
        ["git", "check-ignore", ".local_secrets.json", ".secret_key"],
        cwd=first,
        capture_output=True,
        text=True,
    )
    assert ignored.stdout.split() == [".local_secrets.json", ".secret_key"]


@pytest.mark.parametrize("answers", DATABASE_IGNORED, ids=slug)
def test_orm_none_bakes_the_same_project_whatever_the_database(tmp_path, answers):
    from .conftest import bake

    ignored = bake(tmp_path / "ignored", repo_name="shop", **answers)
    sqlite = bake(
        tmp_path / "sqlite", repo_name="shop", **answers | {"database": "sqlite"}
    )
    assert contents(ignored) == contents(sqlite)


# The layout rule: only these parts of the package may import the example.
MAY_IMPORT_THE_EXAMPLE = {
    "catalog",
    "accounts",
    "views",
    "scripts",
    "alembic",
    "routes",
    "__init__",
}


def imported_modules(file, package_dir, package):
    """Every module ``file`` imports, as a tuple of names inside the package."""
    parts = file.relative_to(package_dir).with_suffix("").parts
    here = parts[:-1]  # the package ``file`` belongs to
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name.split(".")
                if name[0] == package:
                    yield tuple(name[1:])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
            elif (node.module or "").split(".")[0] == package:
                base = ()
            else:
                continue
            module = tuple((node.module or "").split(".")) if node.module else ()
            if not node.level:
                module = module[1:]
            for alias in node.names:
                yield (*base, *module, alias.name)


def test_infrastructure_never_imports_the_example(project):
    """caching/, db/, web/, rendering/, clients/, settings: no import of the
    example (catalog, accounts)."""
    _, path = project
    package_dir = path / "shop"
    offenders = []
    for file in package_dir.rglob("*.py"):
        top = file.relative_to(package_dir).with_suffix("").parts[0]
        if top in MAY_IMPORT_THE_EXAMPLE:
            continue
        for module in imported_modules(file, package_dir, "shop"):
            if module[:1] in (("catalog",), ("accounts",)):
                offenders.append(f"{file.relative_to(path)} imports {'.'.join(module)}")
    assert offenders == []


def test_the_import_rule_sees_relative_and_absolute_imports(tmp_path):
    """The checker above would fail: it finds each form of importing catalog."""
    package_dir = tmp_path / "shop"
    (package_dir / "caching").mkdir(parents=True)
    forms = [
        "from .. import catalog",
        "from ..catalog import DATASET",
        "from ..catalog.models import Item",
        "import shop.catalog.queries",
        "from shop.catalog import home",
    ]
    for number, form in enumerate(forms):
        file = package_dir / "caching" / f"m{number}.py"
        file.write_text(form + "\n", encoding="utf-8")
        found = list(imported_modules(file, package_dir, "shop"))
        assert found and found[0][0] == "catalog", (form, found)
