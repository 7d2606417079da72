"""{{ cookiecutter.repo_name }}: the WSGI application factory.

``main()`` is the table of contents: one ``config.include`` per concern, each a
small module with an ``includeme`` configured from the typed settings.
"""

from pyramid.config import Configurator

from . import pagecache, proxy
from .settings import settings_from_environment

PROJECT_NAME = {{ cookiecutter.project_name | py_string }}


def main(global_config, **settings):
    """Build the WSGI application from PasteDeploy settings."""
    settings = settings_from_environment(settings)
    with Configurator(settings=settings) as config:
        config.include(".settings")
        config.include(".templating")
        config.include(".json_renderer")
{%- if cookiecutter.orm == "sqlalchemy" %}
        config.include(".db")
{%- endif %}
        config.include(".catalog")
        config.include(".cache")
        config.include(".scaleout")
        config.include(".httpcache")
        config.include(".pagecache")
        config.include(".staticfiles")
        config.include(".security")
        config.include(".tweens")
        config.include(".profiling")
        config.include(".routes")
        config.scan(".views")
    # Warm pages are answered before Pyramid builds a request (pagecache.py),
    # keyed on the scheme a TLS-terminating proxy was asked with (proxy.py).
    return proxy.wrap(pagecache.wrap(config.make_wsgi_app()))
