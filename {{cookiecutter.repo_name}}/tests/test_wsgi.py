"""The production entry point builds the app from the .ini file named by APP_INI."""

import importlib
import sys


def test_wsgi_module_builds_the_app(monkeypatch, ini_file):
    monkeypatch.setenv("APP_INI", ini_file)
    monkeypatch.delitem(sys.modules, "{{ cookiecutter.repo_name }}.wsgi", raising=False)
    module = importlib.import_module("{{ cookiecutter.repo_name }}.wsgi")
    assert callable(module.app)
    assert module.app.registry.app_settings.environment == "testing"
