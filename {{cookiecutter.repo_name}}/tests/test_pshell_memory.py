"""``pshell development.ini``: the set-up's names (no database with orm=none)."""

import configparser
from pathlib import Path

from pyramid.scripting import prepare

from {{ cookiecutter.repo_name }}.scripts import pshell

ROOT = Path(__file__).resolve().parents[1]


def test_development_ini_names_the_setup():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "development.ini")
    assert parser["pshell"]["setup"] == f"{pshell.__name__}.setup"


def test_the_shell_gets_the_cache_and_the_settings(app):
    env = prepare(registry=app.registry)
    try:
        pshell.setup(env)
        assert env["cache"] is app.registry.cache
        assert env["settings"].environment == "testing"
    finally:
        env["closer"]()
