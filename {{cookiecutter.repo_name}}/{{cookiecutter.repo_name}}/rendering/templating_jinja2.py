"""Templates: jinja2 through pyramid_jinja2, with the globals every page uses.

Compiled templates go to ``templates.cache_directory`` as Jinja2 bytecode
(``template_cache``).
"""

from pyramid.events import BeforeRender

from . import PACKAGE, PROJECT_DESCRIPTION, PROJECT_NAME, template_cache


def add_globals(event):
    event["project_name"] = PROJECT_NAME
    event["project_description"] = PROJECT_DESCRIPTION
    # For asset specs: request.static_url(package + ":static/app.css")
    event["package"] = PACKAGE


def compile_template(registry, spec):
    from pyramid_jinja2 import IJinja2Environment

    registry.queryUtility(IJinja2Environment, name=".jinja2").get_template(spec)


def includeme(config):
    settings = config.get_settings()
    directory = template_cache.cache_directory(settings)
    if directory:
        settings["jinja2.bytecode_caching"] = "true"
        settings["jinja2.bytecode_caching_directory"] = str(directory)
    config.include("pyramid_jinja2")
    config.add_subscriber(add_globals, BeforeRender)
    template_cache.warm_up_at_start(config, "jinja2", compile_template)
