"""The hooks' functions, tested directly (baking tests them end to end)."""

import json

import pytest

from .combinations import CHOICES
from .conftest import bake, load_hook

pre = load_hook("pre_gen_project")
post = load_hook("post_gen_project")

GOOD = {
    "project_name": "Shop",
    "repo_name": "shop",
    "description": "",
    "author_name": "A",
    "author_email": "a@example.com",
    "cache_backend": "memory",
    "orm": "sqlalchemy",
    "database": "sqlite",
    "template_engine": "chameleon",
    "concurrency": "threads",
}


def test_hook_choices_match_cookiecutter_json():
    assert pre.CHOICES == CHOICES


def test_good_answers_pass():
    assert pre.validate(GOOD) == []
    assert pre.main(json.dumps(GOOD)) == 0


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "must not be empty"),
        ("My App", "lowercase ASCII Python identifier"),
        ("9lives", "lowercase ASCII Python identifier"),
        ("café", "lowercase ASCII Python identifier"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("json", "standard library"),
        ("test", "standard library"),
        ("pyramid", "dependency"),
        ("sqlalchemy", "dependency"),
        ("redis", "dependency"),
        ("a" * 33, "at most 32"),
    ],
)
def test_bad_repo_names_name_the_rule(name, rule):
    (problem,) = pre.validate({**GOOD, "repo_name": name})
    assert problem.startswith("repo_name")
    assert rule in problem


def test_every_problem_is_reported_on_its_own_line(capsys):
    answers = {**GOOD, "repo_name": "json", "cache_backend": "redsi"}
    assert pre.main(json.dumps(answers)) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("ERROR: ") for line in lines)


def test_orm_none_ignores_postgresql_with_one_line(capsys):
    answers = {**GOOD, "orm": "none", "database": "postgresql"}
    assert pre.validate(answers) == []
    assert pre.main(json.dumps(answers)) == 0
    out, err = capsys.readouterr()
    assert out == "database=postgresql ignored: orm=none has no database\n"
    assert err == ""
    for answers in (GOOD, {**GOOD, "orm": "none"}, {**GOOD, "database": "postgresql"}):
        assert list(pre.ignored_answers(answers)) == []


def test_post_gen_reads_the_baked_database():
    derived = {**GOOD, "orm": "none", "database": "postgresql", "__database": "sqlite"}
    baked = post.baked_answers(derived)
    assert baked["database"] == "sqlite"
    paths = set(post.unselected_paths(baked, post.FILES_BY_ANSWER))
    assert "tests/catalog/test_postgresql.py" in paths


def test_unselected_paths_come_from_the_table():
    answers = {**GOOD, "cache_backend": "redis", "concurrency": "gevent"}
    paths = set(post.unselected_paths(answers, post.FILES_BY_ANSWER))
    assert "tests/catalog/test_cache_redis.py" not in paths
    assert "tests/catalog/test_cache_memcached.py" in paths
    assert "tests/test_serve_gevent.py" not in paths
    assert "{pkg}/templates/*.jinja2" in paths


def test_multinode_test_needs_redis_and_postgresql():
    both = {**GOOD, "cache_backend": "redis", "database": "postgresql"}
    for answers, kept in (
        (both, True),
        ({**both, "cache_backend": "memcached"}, False),
        ({**both, "database": "sqlite"}, False),
    ):
        paths = set(post.unselected_paths(answers, post.FILES_BY_ANSWER))
        assert ("tests/catalog/test_multinode.py" not in paths) == kept


def test_shared_cache_checks_stay_for_either_shared_cache():
    for backend, kept in (
        ("redis", True),
        ("memcached", True),
        ("memory", False),
        ("none", False),
    ):
        answers = {**GOOD, "cache_backend": backend}
        paths = set(post.unselected_paths(answers, post.FILES_BY_ANSWER))
        assert ("tests/catalog/shared_cache.py" not in paths) == kept, backend


def test_shape_project_removes_and_renames(tmp_path):
    files = [
        "pkg/catalog/queries_sqlalchemy.py",
        "pkg/catalog/queries_memory.py",
        "pkg/catalog/models.py",
        "pkg/accounts/store_sqlalchemy.py",
        "pkg/accounts/store_memory.py",
        "pkg/accounts/models.py",
        "pkg/rendering/templating_chameleon.py",
        "pkg/rendering/templating_jinja2.py",
        "pkg/rendering/templating_mako.py",
        "pkg/templates/home.pt",
        "pkg/templates/home.jinja2",
        "pkg/db/base.py",
        "pkg/caching/backend_redis.py",
        "tests/conftest_sqlalchemy.py",
        "tests/conftest_memory.py",
        "tests/catalog/conftest_sqlalchemy.py",
        "tests/catalog/conftest_memory.py",
        "tests/catalog/test_catalog_memory.py",
        "tests/test_serve_gevent.py",
        "pkg/scripts/serve_threads.py",
        "pkg/scripts/serve_gevent.py",
        "pkg/scripts/gevent_worker.py",
        "pkg/clients/fanout_threads.py",
        "pkg/clients/fanout_gevent.py",
        "pkg/scripts/pshell_sqlalchemy.py",
        "pkg/scripts/pshell_memory.py",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    answers = {**GOOD, "repo_name": "pkg", "orm": "none", "template_engine": "jinja2"}
    post.shape_project(tmp_path, answers)
    remaining = sorted(
        str(path.relative_to(tmp_path))
        for path in tmp_path.rglob("*")
        if path.is_file()
    )
    assert remaining == [
        "pkg/accounts/store.py",
        "pkg/caching/backend_redis.py",  # every backend's module stays
        "pkg/catalog/queries.py",
        "pkg/clients/fanout.py",
        "pkg/rendering/templating.py",
        "pkg/scripts/pshell.py",
        "pkg/scripts/serve.py",
        "pkg/templates/home.jinja2",
        "tests/catalog/conftest.py",
        "tests/catalog/test_catalog_memory.py",
        "tests/conftest.py",
    ]
    queries = (tmp_path / "pkg/catalog/queries.py").read_text()
    assert queries == "pkg/catalog/queries_memory.py"
    serve = (tmp_path / "pkg/scripts/serve.py").read_text()
    assert serve == "pkg/scripts/serve_threads.py"


def test_next_steps_name_the_directory_and_the_commands(capsys):
    post.print_next_steps("shop")
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert "cd shop" in lines
    assert [line.split()[:2] for line in lines if line.startswith("make ")] == [
        ["make", "run"],
        ["make", "test"],
    ]


def test_a_bake_ends_with_the_next_steps(tmp_path, capfd):
    bake(tmp_path, repo_name="shop")
    out = capfd.readouterr().out
    assert out.rstrip().endswith("make test   # set up .venv and run the test suite")
    assert "\n  cd shop\n" in out
