"""Run tier: install baked projects and run their own test suites.

By default a covering set (every value of every prompt, and every pair that
interacts); ``--all-combinations`` (``make test-all``) runs all of them.
Each project is set up and checked by the steps of its own CI workflow
(``make lint``, ``make test``: read from ``.github/workflows/ci.yml``, so the
commands CI runs are the ones tested here), with uv on PATH so installs come
from one shared cache.

Each PostgreSQL project is then served by its production server and loaded
with concurrent writes (``nothing_lost.py``): both concurrency modes.

Then the Dockerfile's steps run on this host (``image_steps.py``).

Redis, Memcached and PostgreSQL are real servers (URLs from the environment).
The workflow sets ``REQUIRE_SERVICES=1``, so a skipped service test in a
generated project fails the run instead.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from . import workflow
from .after_install import (
    assert_example_removable,
    assert_lock_installs,
    assert_serve_writes_no_rows,
    assert_switch_works,
)
from .combinations import COVERING, SUPPORTED, slug
from .conftest import bake
from .image_steps import assert_image_steps_serve
from .nothing_lost import assert_nothing_lost

pytestmark = pytest.mark.run

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MEMCACHED_URL = os.environ.get("TEST_MEMCACHED_URL", "memcached://127.0.0.1:11211")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CACHE_URLS = {
    "redis": REDIS_URL,
    "memcached": MEMCACHED_URL,
    "memory": "memory://",
    "none": "none://",
}


# "SKIPPED [count] file:line: reason", one per reason (pytest -rs).
SKIP_LINE = re.compile(r"^SKIPPED \[(\d+)\] (\S+): (.*)$", re.MULTILINE)
SKIP_TOTAL = re.compile(r"(\d+) skipped")


def allowed_skips(answers):
    """The reasons a generated suite may skip for with these answers: each is
    a test that does not apply to the combination (the test's own condition)."""
    shared = answers["cache_backend"] in ("redis", "memcached")
    allowed = set()
    if answers["orm"] == "sqlalchemy":
        if answers["database"] == "postgresql":
            allowed.add("SQLite only")
        else:
            allowed.add("PostgreSQL only")
    if not shared:
        allowed.add("a per-process cache: other processes' writes come from the db")
    if answers["cache_backend"] != "none":
        allowed.add("keeps pages")
    if shared or answers["orm"] == "none":
        allowed.add("versions come from the shared cache or memory: no query")
    return allowed


def unexpected_skips(output, answers):
    """Skips outside the allow-list, whatever the environment (a missing server
    included); and every skip must be listed, so the counts must agree."""
    allowed = allowed_skips(answers)
    skips = SKIP_LINE.findall(output)
    total = SKIP_TOTAL.search(output)
    listed = sum(int(count) for count, _, _ in skips)
    assert listed == (int(total.group(1)) if total else 0), output[-3000:]
    return [
        f"{where}: {reason}"
        for _, where, reason in skips
        if not any(reason.startswith(prefix) or prefix in reason for prefix in allowed)
    ]


# The combination that proves switching the cache and the database later.
SWITCHED = COVERING[0]
LOCKED = COVERING[4]  # no database: the lock's own install and tests are quick
assert SWITCHED["cache_backend"] == "memory" and SWITCHED["database"] == "sqlite"


def pytest_generate_tests(metafunc):
    if "answers" in metafunc.fixturenames:
        everything = metafunc.config.getoption("--all-combinations")
        combos = SUPPORTED if everything else COVERING
        metafunc.parametrize("answers", combos, ids=slug)


def fresh_database(name):
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def project_environment(answers, name):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # uv
    env["TEST_CACHE_URL"] = CACHE_URLS[answers["cache_backend"]]
    env["TEST_REDIS_URL"] = REDIS_URL
    env["TEST_MEMCACHED_URL"] = MEMCACHED_URL
    if answers["database"] == "postgresql":
        env["TEST_DATABASE_URL"] = fresh_database(f"pf_{name}")
    env.pop("VIRTUAL_ENV", None)
    return env


def run_ci_step(project, ci, step, env):
    """A step of the project's CI workflow, as its runner would run it: the
    job's settings, but the addresses of the servers here (TEST_*_URL)."""
    settings = {
        name: value
        for name, value in workflow.environment(ci).items()
        if not name.startswith("TEST_")
    }
    result = subprocess.run(
        [
            "bash",
            "--noprofile",
            "--norc",
            "-eo",
            "pipefail",
            "-c",
            workflow.command(ci, step),
        ],
        cwd=project,
        env={**env, **settings, "PYTEST_ARGS": "-q -p no:cacheprovider -rs"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def test_generated_suite_passes(answers, tmp_path):
    name = f"app_{slug(answers)}"
    project = bake(tmp_path, repo_name=name, **answers)
    env = project_environment(answers, name)
    ci = workflow.load(project)
    run_ci_step(project, ci, "lint", env)
    output = run_ci_step(project, ci, "test", env)
    assert " passed" in output
    assert unexpected_skips(output, answers) == []
    if answers["database"] == "postgresql":
        # Under load on the real production server: every acknowledged write kept.
        database_url = fresh_database(f"pf_{name}_writes")
        assert_nothing_lost(project, answers["concurrency"], database_url)
    if answers["orm"] == "sqlalchemy":
        empty = (
            fresh_database(f"pf_{name}_empty")
            if answers["database"] == "postgresql"
            else f"sqlite:///{tmp_path / 'empty.sqlite'}"
        )
        assert_serve_writes_no_rows(project, env, empty)
    if answers == SWITCHED:
        # The README's "switch later", as written: a setting plus an extra.
        assert_switch_works(project, env, "redis", TEST_CACHE_URL=REDIS_URL)
        assert_switch_works(
            project,
            env,
            "postgresql",
            TEST_DATABASE_URL=fresh_database(f"pf_{name}_switched"),
        )
    assert_image_steps_serve(
        project,
        env,
        tmp_path / "image-venv",
        CACHE_URL=env["TEST_CACHE_URL"],
        DATABASE_URL=(
            fresh_database(f"pf_{name}_image")
            if answers["database"] == "postgresql"
            else f"sqlite:///{tmp_path / 'image.sqlite'}"
        ),
    )
    if answers == LOCKED:
        assert_lock_installs(project, env)
    assert_example_removable(project, env)
    shutil.rmtree(project / ".venv", ignore_errors=True)


def pairs(combos, first, second):
    return {(combo[first], combo[second]) for combo in combos}


def test_covering_set_covers_every_value_and_interacting_pair():
    for field in ("cache_backend", "orm", "database", "template_engine", "concurrency"):
        assert {c[field] for c in COVERING} == {c[field] for c in SUPPORTED}
    for first, second in [
        ("cache_backend", "concurrency"),
        ("template_engine", "orm"),
    ]:
        assert pairs(COVERING, first, second) == pairs(SUPPORTED, first, second)
    orm_database = {((c["orm"], c["database"]), c["concurrency"]) for c in COVERING}
    assert orm_database == {
        ((c["orm"], c["database"]), c["concurrency"]) for c in SUPPORTED
    }
    assert len(COVERING) == 8
