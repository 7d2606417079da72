"""``make remove-example`` on a copy of this project: what goes, what stays.

The scaffold's own tests go further: they run ``make remove-example`` on baked
projects, then their ``make test`` and ``make lint``.
"""

import re
import shutil
from pathlib import Path

from {{ cookiecutter.repo_name }}.scripts import remove_example

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.repo_name }}"
USES_THE_EXAMPLE = re.compile(
    r"^\s*(from|import) \S*(catalog|accounts)|include\(\"\.(catalog|accounts)"
    r"|accounts\.demo_password",
    re.MULTILINE,
)


def copy_of_the_project(tmp_path):
    ignore = shutil.ignore_patterns(".venv", "var", "*.sqlite*", "__pycache__", ".*")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in (PACKAGE, "tests"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    return tmp_path


def test_the_example_goes_and_a_home_page_stays(tmp_path):
    root = copy_of_the_project(tmp_path)
    compiled = root / remove_example.COMPILED_TEMPLATES
    compiled.mkdir(parents=True)
    (compiled / "layout.py").write_text("# the old layout, compiled\n")
    removed = remove_example.remove_example(root)
    assert not compiled.exists()  # an engine could keep using it
    assert f"{PACKAGE}/catalog" in removed and "tests/catalog" in removed
    assert not (root / PACKAGE / "catalog").exists()
    assert (root / PACKAGE / "views" / "home.py").exists()
    templates = root / PACKAGE / "templates"
    assert sorted(path.stem for path in templates.iterdir()) == [
        "404",
        "error",
        "home",
        "layout",
    ]
    assert "<nav>" not in (templates / f"layout.{remove_example.EXTENSION}").read_text()
    sources = list(root.rglob("*.py"))
    assert len(sources) > 20, sources  # the kept package and tests were read
    for path in sources:
        text = path.read_text(encoding="utf-8")
        compile(text, str(path), "exec")
        assert not USES_THE_EXAMPLE.search(text), path
    makefile = (root / "Makefile").read_text()
    assert f"{PACKAGE}-seed" not in makefile and "remove-example:" not in makefile
    pyproject = (root / "pyproject.toml").read_text()
    assert "fail_under = 85" in pyproject
{%- if cookiecutter.orm == "sqlalchemy" %}
    assert "scripts.seed" not in pyproject  # its console script
{%- endif %}
