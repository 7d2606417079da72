"""``request.path_template``: the path of a route with a format field per value."""

from pyramid.config import Configurator
from pyramid.request import Request, apply_request_extensions


def request_for(script_name=""):
    with Configurator() as config:
        config.include("{{ cookiecutter.repo_name }}.rendering.links")
        config.add_route("thing", "/things/{id}/parts/{part}")
    request = Request.blank("/", base_url=f"http://example.com{script_name}")
    request.registry = config.registry
    apply_request_extensions(request)
    return request


def test_template_gives_the_same_path_as_route_path():
    request = request_for()
    template = request.path_template("thing", "id", "part")
    assert template == "/things/{id}/parts/{part}"
    assert template.format(id=7, part=3) == request.route_path("thing", id=7, part=3)


def test_template_keeps_the_script_name():
    request = request_for("/shop")
    template = request.path_template("thing", "id", "part")
    assert template.format(id=7, part=3) == "/shop/things/7/parts/3"
