"""The orjson renderer: the same JSON as the standard library, compact."""

import json

from pyramid.renderers import render
from pyramid.request import Request

from {{ cookiecutter.repo_name }}.rendering.json_renderer import orjson_dumps

EXAMPLES = [
    {"id": 7, "name": "Item 0007", "price_cents": 1999, "tags": ["red", "big"]},
    {"items": [], "page": 1, "next": None, "ratio": 0.1, "ok": True},
    {"text": 'café ☕ "quoted" \\ </script>', "nested": {"a": [1, 2.5, None]}},
    {1: "int keys become strings", "deep": [[{"x": -0.0}]]},
]


def test_output_matches_the_standard_library():
    for value in EXAMPLES:
        expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        assert orjson_dumps(value) == expected


def test_objects_with_json_method_still_render(app):
    class Money:
        def __json__(self, request):
            return {"cents": 5}

    request = Request.blank("/")
    request.registry = app.registry
    text = render("json", {"price": Money()}, request=request)
    assert json.loads(text) == {"price": {"cents": 5}}
