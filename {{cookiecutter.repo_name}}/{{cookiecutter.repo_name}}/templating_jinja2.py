"""Templates: jinja2 through pyramid_jinja2, with the globals every page uses."""

from pyramid.events import BeforeRender

from . import PROJECT_NAME


def add_globals(event):
    event["project_name"] = PROJECT_NAME
    # For asset specs: request.static_url(package + ":static/app.css")
    event["package"] = __package__


def includeme(config):
    config.include("pyramid_jinja2")
    config.add_subscriber(add_globals, BeforeRender)
