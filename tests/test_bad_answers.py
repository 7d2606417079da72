"""Bad answers: a clear message naming the field, and nothing left on disk."""

import pytest
from cookiecutter.exceptions import FailedHookException

from .conftest import bake

# (answers, what the error must say)
HOOK_REJECTS = [
    ({"repo_name": "My App"}, "lowercase ASCII Python identifier"),
    ({"repo_name": "my-app"}, "lowercase ASCII Python identifier"),
    ({"repo_name": "MyApp"}, "lowercase ASCII Python identifier"),
    ({"repo_name": "2fast"}, "lowercase ASCII Python identifier"),
    ({"repo_name": "ünïcode"}, "lowercase ASCII Python identifier"),
    ({"repo_name": "import"}, "keyword"),
    ({"repo_name": "async"}, "keyword"),
    ({"repo_name": "json"}, "standard library"),
    ({"repo_name": "test"}, "standard library"),
    ({"repo_name": "logging"}, "standard library"),
    ({"repo_name": "pyramid"}, "dependency 'pyramid'"),
    ({"repo_name": "sqlalchemy"}, "dependency 'sqlalchemy'"),
    ({"repo_name": "redis"}, "dependency 'redis'"),
    ({"repo_name": "tests"}, "dependency 'tests'"),
    ({"repo_name": "x" * 33}, "at most 32 characters"),
    ({"project_name": "", "repo_name": "shop"}, "project_name: must not be empty"),
    ({"project_name": "Two\nLines", "repo_name": "two_lines"}, "single line"),
    ({"description": "tab\there"}, "description: must be a single line"),
    ({"author_email": "nobody"}, "author_email 'nobody': must look like"),
    ({"author_name": " "}, "author_name: must not be empty"),
]

# Unknown choice values never reach the hook: cookiecutter itself refuses them.
CHOICE_REJECTS = [
    {"cache_backend": "redsi"},
    {"orm": "django"},
    {"database": "mysql"},
    {"template_engine": "jinja"},
    {"concurrency": "asyncio"},
]


@pytest.mark.parametrize(("answers", "message"), HOOK_REJECTS)
def test_hook_rejects_with_a_clear_message(tmp_path, capfd, answers, message):
    with pytest.raises(FailedHookException):
        bake(tmp_path, **answers)
    assert message in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("answers", CHOICE_REJECTS)
def test_unknown_choice_is_an_error(tmp_path, answers):
    ((_field, value),) = answers.items()
    with pytest.raises(ValueError, match=f"{value}.*choices"):
        bake(tmp_path, **answers)
    assert list(tmp_path.iterdir()) == []


def test_empty_repo_name_stops_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="repo_name: must not be empty"):
        bake(tmp_path, repo_name="")
    assert list(tmp_path.iterdir()) == []


def test_database_without_an_orm_is_ignored_with_one_line(tmp_path, capfd):
    project = bake(tmp_path, orm="none", database="postgresql")
    out, err = capfd.readouterr()
    assert "database=postgresql ignored: orm=none has no database" in out
    assert err == ""
    assert not (project / "tests" / "test_postgresql.py").exists()


def test_the_corpus_is_large():
    assert len(HOOK_REJECTS) + len(CHOICE_REJECTS) + 1 >= 20
