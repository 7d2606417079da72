"""The tween chain production runs, and development-only tools."""

import sys
from pathlib import Path

from pyramid.interfaces import ITweens
from pyramid.paster import get_appsettings

from {{ cookiecutter.repo_name }} import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # the testing extra installs tomli on 3.10
    import tomli as tomllib

ROOT = Path(__file__).parent.parent

# Exactly what production needs, outermost first. Timing and profiling are
# registered but remove themselves when their setting is off.
PRODUCTION_TWEENS = [
{%- if cookiecutter.orm == "sqlalchemy" %}
    "pyramid_tm.tm_tween_factory",  # one transaction per request
{%- endif %}
    "pyramid.tweens.excview_tween_factory",  # error views
    # TRACE, TRACK, CONNECT refused on every URL (a 405)
    "{{ cookiecutter.repo_name }}.web.methods.refuse_methods_tween_factory",
    # client headers WebOb would fail on: dropped, or a 415
    "{{ cookiecutter.repo_name }}.web.tweens.malformed_headers_tween_factory",
]


def effective_tweens(registry):
    """Names of the tweens that put themselves in the request path."""
    tweens = registry.queryUtility(ITweens)
    names = []

    def handler(request):
        return None

    for name, factory in reversed(tweens.implicit()):
        wrapped = factory(handler, registry)
        if wrapped is not handler:
            names.insert(0, name)
            handler = wrapped
    return names


def production_app(app_settings):
    settings = dict(get_appsettings(str(ROOT / "production.ini")))
    settings.update(
        {
            "settings.from_environment": "false",
            "secret_key": "a-production-secret-key-of-sufficient-length",
            "cache.url": "memory://",
        }
    )
    if "sqlalchemy.url" in app_settings:
        settings["sqlalchemy.url"] = app_settings["sqlalchemy.url"]
    return main({}, **settings)


def test_production_runs_exactly_the_tweens_it_needs(app_settings):
    app = production_app(app_settings)
    assert effective_tweens(app.registry) == PRODUCTION_TWEENS


def test_testing_adds_server_timing_and_profiling(app):
    names = effective_tweens(app.registry)
    package = "{{ cookiecutter.repo_name }}"
    assert f"{package}.web.tweens.server_timing_tween_factory" in names
    assert f"{package}.web.profiling.profiling_tween_factory" in names


def test_debug_toolbar_only_in_development_and_only_in_the_dev_extra():
    for ini in ("production.ini", "testing.ini"):
        assert "pyramid_debugtoolbar" not in (ROOT / ini).read_text()
    assert "pyramid_debugtoolbar" in (ROOT / "development.ini").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any("debugtoolbar" in dep for dep in project["dependencies"])
    extras = project["optional-dependencies"]
    assert any("pyramid_debugtoolbar" in dep for dep in extras["dev"])
    assert not any("debugtoolbar" in dep for dep in extras["testing"])
