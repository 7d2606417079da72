"""Any answer text is either rejected by design or lands in the output intact.

Hypothesis bakes random ``project_name``, ``description`` and ``author_name``
values full of quotes, backslashes, newlines, non-ASCII and Jinja syntax. A
bake either succeeds, and then every generated Python file compiles, the TOML
and INI files parse and the answers read back exactly, or it fails with one of
the designed refusals, and then nothing is left behind. Answers the pre-gen
hook's rules accept (and that hold no template syntax) must bake; answers they
refuse must be refused. Any other exception fails the test.
"""

import ast
import configparser
import tempfile
from pathlib import Path

import tomllib
from cookiecutter.exceptions import FailedHookException, UndefinedVariableInTemplate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.exceptions import TemplateError
from slugify import slugify

from .conftest import bake, load_hook

pre = load_hook("pre_gen_project")
# Cookiecutter renders answers as templates: bad template syntax is its error.
TEMPLATE_SYNTAX = ("{{", "}}", "{%", "%}", "{#", "#}")
TEMPLATE_REFUSALS = (UndefinedVariableInTemplate, TemplateError)
DEFAULTS = {
    "author_email": "you@example.com",
    "cache_backend": "memory",
    "orm": "sqlalchemy",
    "database": "sqlite",
    "template_engine": "chameleon",
    "concurrency": "threads",
}

TRICKY = ['"', "'", "\\", "é", "漢", "🐍", "{{", "}}", "{%", "%}", "{#", "#}", "${"]
TRICKY += ["%(", "%%", "<", ">", "&", ";", "#", " ", "a", "Z", "1"]
CONTROL = ["\n", "\r", "\x00", "\x7f"]  # the pre-gen hook rejects these
printable = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=3)
answers_text = st.lists(
    st.sampled_from(TRICKY) | printable, min_size=1, max_size=10
).map("".join) | st.tuples(st.sampled_from(TRICKY), st.sampled_from(CONTROL)).map(
    "".join
)


def project_name_in(module_text):
    for node in ast.parse(module_text).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PROJECT_NAME":
            return ast.literal_eval(node.value)
    raise AssertionError("PROJECT_NAME not found")


def designed_refusal(error, templated):
    """The pre-gen hook's refusal, the repo_name filter's one-line error
    (``local_extensions.required_name``), or, for answers holding template
    syntax, cookiecutter's own template error."""
    if isinstance(error, FailedHookException):
        return True
    if isinstance(error, ValueError) and str(error).startswith("repo_name:"):
        return "\n" not in str(error)
    return templated and isinstance(error, TEMPLATE_REFUSALS)


def check_project(project, answers):
    for path in project.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    for ini in ("development.ini", "testing.ini", "production.ini"):
        parser = configparser.ConfigParser(defaults={"here": str(project)})
        parser.read(project / ini, encoding="utf-8")
        parser.items("app:main")  # interpolation works
    package = project / project.name / "rendering" / "__init__.py"
    if "{" not in answers["project_name"]:  # cookiecutter renders CLI answers
        assert project_name_in(package.read_text("utf-8")) == answers["project_name"]
        assert pyproject["project"]["description"] == answers["description"]
        assert pyproject["project"]["authors"][0]["name"] == answers["author_name"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(project_name=answers_text, description=answers_text, author_name=answers_text)
def test_any_answer_bakes_safely_or_leaves_nothing(
    project_name, description, author_name
):
    answers = {
        "project_name": project_name,
        "description": description,
        "author_name": author_name,
    }
    templated = any(
        mark in value for value in answers.values() for mark in TEMPLATE_SYNTAX
    )
    if templated:  # rendered by cookiecutter first: any outcome below may happen
        problems = None
    else:
        repo_name = slugify(project_name, separator="_")
        problems = pre.validate({**DEFAULTS, **answers, "repo_name": repo_name})
    with tempfile.TemporaryDirectory() as output:
        try:
            project = bake(output, **answers)
        except Exception as error:
            assert designed_refusal(error, templated), repr(error)
            assert problems is None or problems, f"valid answers refused: {answers}"
            assert list(Path(output).iterdir()) == [], "a failed bake left files"
            return
        assert not problems, f"baked despite {problems}"
        check_project(project, answers)


VALID = [
    ('Café "Bob\'s" \\ Shop', "50% off; a < b & c", "Zoë O'Neil"),
    ("漢字 Store", "%(here)s and %% signs", "李 #1"),
    ("Emoji 🐍", "", "Ann-Marie"),
]


def test_valid_tricky_answers_bake_and_read_back(tmp_path):
    for number, (project_name, description, author_name) in enumerate(VALID):
        answers = {
            "project_name": project_name,
            "description": description,
            "author_name": author_name,
        }
        check_project(bake(tmp_path / str(number), **answers), answers)


def test_jinja_in_the_project_name_is_rendered_or_rejected(tmp_path):
    """Cookiecutter renders answers given on the command line as templates."""
    project = bake(tmp_path, project_name="Shop {{ 6 * 7 }}")
    assert project.name == "shop_42"
    rendering = project / "shop_42" / "rendering" / "__init__.py"
    assert project_name_in(rendering.read_text()) == "Shop 42"
