"""Validate every answer before a single file is written.

Cookiecutter renders this file with Jinja before running it, so the answers
arrive as one JSON document inside a raw string literal (never pasted into
Python source). The checks are plain functions so tests can import them.
On any error: one line per problem on stderr, exit status 1, and cookiecutter
removes the half-made project directory. An answer the project will not use
(database with orm=none) is one line on stdout, not an error.
"""

import json
import keyword
import re
import sys

CHOICES = {
    "cache_backend": ("memory", "redis", "memcached", "none"),
    "orm": ("sqlalchemy", "none"),
    "database": ("sqlite", "postgresql"),
    "template_engine": ("chameleon", "jinja2", "mako"),
    "concurrency": ("threads", "gevent"),
}

# Names a generated package must not take: importing the project would shadow
# one of its own dependencies (or be shadowed by it).
DEPENDENCY_NAMES = frozenset(
    """
    alembic cachetools chameleon dogpile gevent granian greenlet gunicorn hiredis
    hupper hypothesis jinja2 mako markupsafe orjson paste pastedeploy plaster
    plaster_pastedeploy psycopg pymemcache pyinstrument pyramid pyramid_chameleon
    pyramid_debugtoolbar pyramid_jinja2 pyramid_mako pyramid_retry pyramid_tm pytest
    redis setuptools sqlalchemy tests transaction translationstring urllib3 venusian
    waitress webob webtest zope
    """.split()
)

# sys.stdlib_module_names leaves out the interpreter's own "test" package.
STANDARD_LIBRARY = frozenset(sys.stdlib_module_names) | {"test"}

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT_LENGTH = 200
# The render tier lints projects named with 1 and with 32 characters.
MAX_REPO_NAME = 32


def check_repo_name(name):
    if not name:
        return "repo_name: must not be empty"
    if not IDENTIFIER.match(name):
        return (
            f"repo_name {name!r}: must be a lowercase ASCII Python identifier "
            "(letters a-z, digits, underscores; not starting with a digit)"
        )
    if len(name) > MAX_REPO_NAME:
        return (
            f"repo_name {name!r}: must be at most {MAX_REPO_NAME} characters "
            "(generated code stays lint-clean within 88 columns)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"repo_name {name!r}: must not be a Python keyword"
    if name in STANDARD_LIBRARY:
        return (
            f"repo_name {name!r}: must not shadow the standard library module {name!r}"
        )
    if name in DEPENDENCY_NAMES:
        return f"repo_name {name!r}: must not shadow the dependency {name!r}"
    return None


def check_text(field, value, *, required):
    if not isinstance(value, str):
        return f"{field}: must be text"
    if required and not value.strip():
        return f"{field}: must not be empty"
    if CONTROL_CHARACTERS.search(value):
        return f"{field}: must be a single line without control characters"
    if len(value) > MAX_TEXT_LENGTH:
        return f"{field}: must be at most {MAX_TEXT_LENGTH} characters"
    return None


def check_email(value):
    problem = check_text("author_email", value, required=True)
    if problem is None and not EMAIL.match(value):
        problem = f"author_email {value!r}: must look like name@example.com"
    return problem


def check_choices(answers):
    for field, allowed in CHOICES.items():
        value = answers.get(field)
        if value not in allowed:
            yield f"{field} {value!r}: must be one of {', '.join(allowed)}"


def ignored_answers(answers):
    """Yield a line per answer the project will not use (not an error).

    cookiecutter.json derives what is baked (``__database`` is sqlite with
    orm=none); this only tells the user, since a hook cannot change answers.
    """
    if answers.get("orm") == "none" and answers.get("database") == "postgresql":
        yield "database=postgresql ignored: orm=none has no database"


def validate(answers):
    """Return the list of problems with these answers (empty when all is well)."""
    problems = [
        check_text("project_name", answers.get("project_name"), required=True),
        check_repo_name(answers.get("repo_name")),
        check_text("description", answers.get("description"), required=False),
        check_text("author_name", answers.get("author_name"), required=True),
        check_email(answers.get("author_email")),
    ]
    problems.extend(check_choices(answers))
    return [problem for problem in problems if problem]


def main(answers_json):
    answers = json.loads(answers_json)
    for line in ignored_answers(answers):
        print(line)
    problems = validate(answers)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(r"""{{ cookiecutter | tojson }}"""))
