"""Baking helpers shared by the template's tests.

A bake is memoised per combination for the whole session (``baked``), so the
render-tier checks share one rendering instead of baking again per test.
"""

import importlib.util
import os
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
HOOKS = TEMPLATE / "hooks"


def pytest_addoption(parser):
    parser.addoption(
        "--all-combinations",
        action="store_true",
        help="run tier: install and test every supported combination",
    )
    parser.addoption(
        "--topology",
        action="store_true",
        help="only the topology tests (two app hosts behind nginx): make test-topology",
    )


def pytest_collection_modifyitems(config, items):
    """The topology tests run with ``--topology`` only, and then alone."""
    wanted = config.getoption("--topology")
    chosen = [
        item for item in items if bool(item.get_closest_marker("topology")) == wanted
    ]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen


def bake(output_dir, **answers):
    """Render the template into ``output_dir``; return the project path."""
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context=answers,
            output_dir=str(output_dir),
            default_config=True,
        )
    )


@pytest.fixture(scope="session")
def baked(tmp_path_factory):
    cache = {}

    def baked(**answers):
        key = tuple(sorted(answers.items()))
        if key not in cache:
            cache[key] = bake(tmp_path_factory.mktemp("bake"), **answers)
        return cache[key]

    return baked


def load_hook(name):
    """Import a hook script as a module (its Jinja line only runs under __main__)."""
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def flushed_redis_or_skip(url):
    """``url``, its Redis database emptied; a skip without Redis (a failure
    under ``REQUIRE_SERVICES=1``)."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis needed: {error}")
        pytest.skip(f"Redis not reachable: {error}")
    return url
