"""The naive baseline: the catalog pages written the way the official Pyramid
starter (pyramid-cookiecutter-starter, sqlalchemy + jinja2) teaches.

Deliberately ordinary, not deliberately slow: default lazy loading (the template
touches ``item.category`` and ``item.tags``), offset pagination with a count,
pyramid_tm around every request, no server-side cache, no HTTP validators,
pserve + waitress with its default 4 threads. It maps the same tables as the
generated project and reads the same seeded rows.
"""

import os

from pyramid.config import Configurator


def main(global_config, **settings):
    if os.environ.get("DATABASE_URL"):
        settings["sqlalchemy.url"] = os.environ["DATABASE_URL"]
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include(".models")
        config.include(".routes")
        config.scan(".views")
    return config.make_wsgi_app()
