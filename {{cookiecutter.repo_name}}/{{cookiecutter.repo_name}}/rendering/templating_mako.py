"""Templates: mako through pyramid_mako, with the globals every page uses.

Compiled templates go to ``templates.cache_directory`` as Python modules
(``mako.module_directory``; ``template_cache``).
"""

from pyramid.events import BeforeRender
from pyramid.renderers import get_renderer

from . import PACKAGE, PROJECT_DESCRIPTION, PROJECT_NAME, template_cache


def add_globals(event):
    event["project_name"] = PROJECT_NAME
    event["project_description"] = PROJECT_DESCRIPTION
    # For asset specs: request.static_url(package + ":static/app.css")
    event["package"] = PACKAGE


def compile_template(registry, spec):
    return get_renderer(spec).template  # reified: loads (compiles) the template


def includeme(config):
    settings = config.get_settings()
    settings.setdefault("mako.directories", f"{PACKAGE}:templates")
    directory = template_cache.cache_directory(settings)
    if directory:
        settings["mako.module_directory"] = str(directory)
    config.include("pyramid_mako")
    config.add_subscriber(add_globals, BeforeRender)
    template_cache.warm_up_at_start(config, "mako", compile_template)
