"""Templates: chameleon through pyramid_chameleon, with the globals every page uses.

Compiled templates go to ``templates.cache_directory`` (``template_cache``).
Chameleon reads ``CHAMELEON_CACHE`` once, when it is first imported: it is set
here, before ``pyramid_chameleon`` imports it.
"""

import logging
import os
import sys

from pyramid.events import BeforeRender
from pyramid.renderers import get_renderer

from . import PACKAGE, PROJECT_DESCRIPTION, PROJECT_NAME, template_cache

log = logging.getLogger(__name__)


def add_globals(event):
    event["project_name"] = PROJECT_NAME
    event["project_description"] = PROJECT_DESCRIPTION
    # For asset specs: request.static_url(package + ":static/app.css")
    event["package"] = PACKAGE


def compile_template(registry, spec):
    get_renderer(spec).implementation().cook_check()


def use_cache_directory(directory):
    if "chameleon.config" in sys.modules:
        from chameleon import template

        if str(directory) != template.CACHE_DIRECTORY:
            log.warning("chameleon was imported first: %s is not used", directory)
        return
    os.environ["CHAMELEON_CACHE"] = str(directory)


def includeme(config):
    directory = template_cache.cache_directory(config.get_settings())
    if directory:
        use_cache_directory(directory)
    config.include("pyramid_chameleon")
    config.add_subscriber(add_globals, BeforeRender)
    template_cache.warm_up_at_start(config, "pt", compile_template)
