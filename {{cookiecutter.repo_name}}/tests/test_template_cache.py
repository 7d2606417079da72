"""Compiled templates: written to disk by the first process, reused by the next."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
ENGINE = "{{ cookiecutter.template_engine }}"

# The function each engine calls to compile a template, but not when it loads
# one from the disk cache: (file, function name).
COMPILERS = {
    "chameleon": ("chameleon/template.py", "_compile"),
    "jinja2": ("jinja2/environment.py", "compile"),
    "mako": ("mako/template.py", "_compile"),
}

# Builds the app from an .ini (its start-up warm-up compiles every template)
# and prints how many compilations ran. A profile hook counts them, because
# importing the engine first would defeat CHAMELEON_CACHE.
PROBE = """
import json, sys
from pyramid.paster import get_app

filename, function_name = json.loads(sys.argv[2])
calls = []

def count(frame, event, arg):
    code = frame.f_code
    if (
        event == "call"
        and code.co_name == function_name
        and code.co_filename.replace("\\\\", "/").endswith(filename)
    ):
        calls.append(1)

sys.setprofile(count)
get_app(sys.argv[1], "main")
sys.setprofile(None)
print(len(calls))
"""


def start_process(ini):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(ini), json.dumps(COMPILERS[ENGINE])],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return int(result.stdout.split()[-1])


def test_first_process_writes_the_cache_and_the_next_reuses_it(tmp_path):
    ini = tmp_path / "testing.ini"
    shutil.copy(ROOT / "testing.ini", ini)
    cache = tmp_path / "var" / "templates-cache"
    package = ROOT / "{{ cookiecutter.repo_name }}"
    templates = list((package / "templates").iterdir())

    assert start_process(ini) >= len(templates)  # warm-up compiled them all
    written = sorted(path for path in cache.rglob("*") if path.is_file())
    assert len(written) >= len(templates)

    assert start_process(ini) == 0  # every template came from the disk cache
    assert sorted(path for path in cache.rglob("*") if path.is_file()) == written
