"""Shape the generated project to the answers: keep one file per chosen alternative.

Two declarative tables drive everything:

* ``FILES_BY_ANSWER``: the files that exist only for some answers. Files of
  the answers that were *not* chosen are deleted. A file listed under two
  answers of one question stays when either is chosen; listed under answers of
  two questions, it stays only when both are.
* ``RENAMED_BY_ANSWER``: whole-file alternatives written as ``<name>_<answer>``
  in the template; the chosen one is renamed to its real name.

No secret is baked: development and tests make theirs at first start into a
git-ignored file (``local_secrets.py``), so two bakes with the same answers
are identical and ``cruft update`` has nothing to conflict on. Runs with the
generated project as the working directory.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ENGINE_FILES = {
    "chameleon": ["{pkg}/templates/*.pt"],
    "jinja2": ["{pkg}/templates/*.jinja2"],
    "mako": ["{pkg}/templates/*.mako"],
}

FILES_BY_ANSWER = {
    # Every project carries every cache backend's module (switching is a
    # setting plus an extra); only the tests of the chosen server stay.
    "cache_backend": {
        "memory": [],
        # Under database too: kept only for redis *and* postgresql.
        "redis": [
            "tests/catalog/test_cache_redis.py",
            "tests/catalog/test_cache_redis_cluster.py",
            "tests/catalog/shared_cache.py",
            "tests/catalog/test_multinode.py",
        ],
        # Under redis too: kept for either shared cache.
        "memcached": [
            "tests/catalog/test_cache_memcached.py",
            "tests/catalog/shared_cache.py",
        ],
        "none": [],
    },
    "orm": {
        "sqlalchemy": [
            "{pkg}/db",
            "{pkg}/alembic",
            "{pkg}/catalog/models.py",
            "{pkg}/accounts/models.py",
            "{pkg}/catalog/seed.py",
            "{pkg}/scripts/seed.py",
            "{pkg}/views/unavailable.py",
            "tests/catalog/test_db.py",
            "tests/catalog/test_db_down.py",
            "tests/catalog/test_db_performance.py",
            "tests/catalog/test_seed.py",
            "tests/test_query_tools.py",
            "tests/test_pshell_sqlalchemy.py",
        ],
        "none": [
            "tests/catalog/test_catalog_memory.py",
            "tests/test_pshell_memory.py",
        ],
    },
    "database": {
        "sqlite": [],
        "postgresql": [
            "tests/catalog/test_postgresql.py",
            "tests/catalog/test_multinode.py",
            "{pkg}/db/replica.py",
            "{pkg}/db/readyourwrites.py",
            "tests/replication.py",
            "tests/catalog/test_replication.py",
        ],
    },
    "template_engine": ENGINE_FILES,
    "concurrency": {
        "threads": [],
        "gevent": [
            "tests/test_serve_gevent.py",
            "tests/slow_view.py",
            "{pkg}/scripts/gevent_worker.py",
        ],
    },
}

TEMPLATING = "{pkg}/rendering/templating.py"

RENAMED_BY_ANSWER = {
    "orm": {
        answer: {
            "{pkg}/catalog/queries_" + variant + ".py": "{pkg}/catalog/queries.py",
            "tests/conftest_" + variant + ".py": "tests/conftest.py",
            "tests/catalog/conftest_" + variant + ".py": "tests/catalog/conftest.py",
            "{pkg}/scripts/pshell_" + variant + ".py": "{pkg}/scripts/pshell.py",
            "{pkg}/accounts/store_" + variant + ".py": "{pkg}/accounts/store.py",
        }
        for answer, variant in (("sqlalchemy", "sqlalchemy"), ("none", "memory"))
    },
    "template_engine": {
        engine: {"{pkg}/rendering/templating_" + engine + ".py": TEMPLATING}
        for engine in ENGINE_FILES
    },
    "concurrency": {
        mode: {
            "{pkg}/scripts/serve_" + mode + ".py": "{pkg}/scripts/serve.py",
            "{pkg}/clients/fanout_" + mode + ".py": "{pkg}/clients/fanout.py",
        }
        for mode in ("threads", "gevent")
    },
}


def unselected_paths(answers, table):
    """Yield the path patterns of unchosen answers that the chosen one lacks."""
    for field, by_value in table.items():
        chosen = answers[field]
        kept = set(by_value.get(chosen, ()))
        for value, paths in by_value.items():
            if value != chosen:
                yield from (path for path in paths if path not in kept)


def resolve(root, pattern, pkg):
    return sorted(root.glob(pattern.format(pkg=pkg)))


def remove(path):
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def shape_project(root, answers):
    pkg = answers["repo_name"]
    for pattern in unselected_paths(answers, FILES_BY_ANSWER):
        for path in resolve(root, pattern, pkg):
            remove(path)
    for pattern in unselected_paths(answers, RENAMED_BY_ANSWER):
        for path in resolve(root, pattern, pkg):
            remove(path)
    for field, by_value in RENAMED_BY_ANSWER.items():
        for source, target in by_value[answers[field]].items():
            (root / source.format(pkg=pkg)).rename(root / target.format(pkg=pkg))


def build_static_files(root, pkg):
    """Fingerprint and precompress the assets with the project's own command."""
    script = root / pkg / "scripts" / "fingerprint.py"
    subprocess.run([sys.executable, str(script)], check=True, stdout=subprocess.DEVNULL)


def baked_answers(answers):
    """The answers as the template bakes them: the derived ``__database`` of
    cookiecutter.json (sqlite whenever orm=none) replaces the database answer."""
    return {**answers, "database": answers["__database"]}


def print_next_steps(repo_name):
    print(
        f"""
Next steps:
  cd {repo_name}
  make run    # set up .venv and start the development server on http://localhost:6543
  make test   # set up .venv and run the test suite"""
    )


def main(answers_json, root):
    answers = baked_answers(json.loads(answers_json))
    shape_project(root, answers)
    build_static_files(root, answers["repo_name"])
    print_next_steps(answers["repo_name"])
    return 0


if __name__ == "__main__":
    sys.exit(main(r"""{{ cookiecutter | tojson }}""", Path.cwd()))
