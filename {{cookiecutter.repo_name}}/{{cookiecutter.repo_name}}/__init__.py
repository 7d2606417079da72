"""{{ cookiecutter.repo_name }}: the WSGI application factory.

``main()`` is the table of contents: one ``config.include`` per concern, each a
package or module with an ``includeme`` configured from the typed settings.
Infrastructure (``caching``, ``db``, ``web``, ``rendering``, ``clients``) never
imports the example (``catalog``, ``accounts``), which ``make remove-example`` deletes.
"""

from pyramid.config import Configurator

from .caching import pagecache
from .local_secrets import with_local_secrets
from .settings import settings_from_environment
from .web import bodies, hosts, proxy


def main(global_config, **settings):
    """Build the WSGI application from PasteDeploy settings."""
    return make_app(make_config(settings))


def make_config(settings):
    """The configured (not yet committed) ``Configurator``: tests add to it."""
    settings = with_local_secrets(settings_from_environment(settings))
    config = Configurator(settings=settings)
    config.include(".settings")
    config.include(".web.health")  # config.add_health_check, for the parts below
    config.include(".rendering")
{%- if cookiecutter.orm == "sqlalchemy" %}
    config.include(".db")
{%- endif %}
    config.include(".caching")  # config.add_cache_dataset, etag=, page_cache=
    config.include(".web")
    config.include(".routes")
    config.include(".catalog")  # the example
    config.include(".accounts")  # the example's signed-in area
    config.scan(".views")
    return config


def make_app(config):
    """Warm pages are answered before Pyramid builds a request
    (caching/pagecache.py), keyed on the canonical origin: the scheme a
    TLS-terminating proxy was asked with (web/proxy.py) and an allowed host
    (web/hosts.py, which refuses the others in production). Request bodies are
    read within a size and time budget before the app runs (web/bodies.py)."""
    return proxy.wrap(hosts.wrap(bodies.wrap(pagecache.wrap(config.make_wsgi_app()))))
