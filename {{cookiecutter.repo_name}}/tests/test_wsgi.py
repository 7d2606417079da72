"""The production entry point builds the app from the .ini file named by APP_INI."""

import importlib
import sys


def test_wsgi_module_builds_the_app(monkeypatch, ini_file):
    monkeypatch.setenv("APP_INI", ini_file)
    name = "{{ cookiecutter.repo_name }}.wsgi"
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    assert callable(module.app)
    assert module.app.registry.app_settings.environment == "testing"
