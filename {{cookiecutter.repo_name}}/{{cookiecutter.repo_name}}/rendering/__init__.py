"""Rendering: the project's template engine, compiled-template caches, JSON.

``template("home")`` is the asset spec of a page template in this project's
engine, for ``renderer=`` and ``render()``. ``request.path_template`` builds
the links of many rows with one route lookup (``links``).
"""

PACKAGE = "{{ cookiecutter.repo_name }}"
PROJECT_NAME = {{ cookiecutter.project_name | py_string }}
# The pages' <meta name="description">: what search results show under the title.
PROJECT_DESCRIPTION = {{ cookiecutter.description | py_string }}
TEMPLATES = PACKAGE + ":templates/"
EXTENSION = ".{{ cookiecutter.__template_ext }}"


def template(name):
    return TEMPLATES + name + EXTENSION


def includeme(config):
    config.include(".templating")
    config.include(".json_renderer")
    config.include(".links")
