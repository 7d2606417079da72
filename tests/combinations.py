"""The answer space of the template, and the covering set the run tier installs."""

import itertools
import json
from pathlib import Path

# The choice prompts, read from the template itself (the single source of truth).
_DECLARED = json.loads(
    (Path(__file__).resolve().parents[1] / "cookiecutter.json").read_text()
)
CHOICES = {
    field: tuple(values)
    for field, values in _DECLARED.items()
    if isinstance(values, list) and not field.startswith("_")
}


def database_is_ignored(answers):
    """orm=none has no database: database=postgresql bakes the sqlite project."""
    return answers["orm"] == "none" and answers["database"] == "postgresql"


def all_combinations():
    for values in itertools.product(*CHOICES.values()):
        yield dict(zip(CHOICES, values, strict=True))


# Each project once (a combination with an ignored answer is a duplicate).
SUPPORTED = [a for a in all_combinations() if not database_is_ignored(a)]
DATABASE_IGNORED = [a for a in all_combinations() if database_is_ignored(a)]


def combo(cache, orm, database, template, concurrency):
    return {
        "cache_backend": cache,
        "orm": orm,
        "database": database,
        "template_engine": template,
        "concurrency": concurrency,
    }


# Every value of every prompt, and every pair of cache x concurrency,
# (orm, database) x concurrency and template x orm (checked by a test).
COVERING = [
    combo("memory", "sqlalchemy", "sqlite", "chameleon", "threads"),
    combo("memory", "sqlalchemy", "postgresql", "jinja2", "gevent"),
    combo("redis", "sqlalchemy", "postgresql", "mako", "threads"),
    combo("redis", "none", "sqlite", "chameleon", "gevent"),
    combo("memcached", "none", "sqlite", "jinja2", "threads"),
    combo("memcached", "sqlalchemy", "sqlite", "mako", "gevent"),
    combo("none", "none", "sqlite", "mako", "threads"),
    combo("none", "sqlalchemy", "postgresql", "chameleon", "gevent"),
]


def slug(answers):
    """A short, unique, importable name for one combination."""
    return "_".join(
        [
            answers["cache_backend"],
            "sa" if answers["orm"] == "sqlalchemy" else "noorm",
            answers["database"][:2],
            answers["template_engine"][:3],
            answers["concurrency"][:3],
        ]
    )
