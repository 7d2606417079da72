"""The start-up warning about per-process settings under several workers."""

import logging
from types import SimpleNamespace

import pytest
from pyramid.config import Configurator

from {{ cookiecutter.repo_name }}.caching.store import cache_from_settings
from {{ cookiecutter.repo_name }}.web import scaleout

configured_workers = scaleout.configured_workers
per_process_warnings = scaleout.per_process_warnings


@pytest.mark.parametrize(
    ("environ", "workers"),
    [
        ({}, 1),
        ({"WEB_CONCURRENCY": "4"}, 4),
        ({"WEB_CONCURRENCY": "many", "GRANIAN_WORKERS": "3"}, 3),
        ({"GUNICORN_CMD_ARGS": "--bind :80 -w 5"}, 5),
        ({"GUNICORN_CMD_ARGS": "--workers=6 --timeout 30"}, 6),
        ({"GUNICORN_CMD_ARGS": "--timeout 30"}, 1),
    ],
)
def test_configured_workers(environ, workers):
    assert configured_workers(environ) == workers


def cache(url):
    return cache_from_settings({"cache.url": url, "cache.quiet": "true"}, "t")


def test_memory_cache_with_one_worker_is_fine():
    assert per_process_warnings(cache("memory://"), workers=1) == []


def test_memory_cache_with_several_workers_warns():
    (message,) = per_process_warnings(cache("memory://"), workers=2)
    assert "2 workers" in message
    assert "CACHE_URL" in message


def test_no_cache_never_warns():
    assert per_process_warnings(cache("none://"), workers=8) == []


def test_shared_cache_never_warns():
    # Which backends are shared is decided (and tested) in caching/backends.py.
    shared = SimpleNamespace(shared=True, keeps_data=True)
    assert per_process_warnings(shared, workers=8) == []


def test_includeme_logs_the_warning_at_startup(monkeypatch, caplog):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = Configurator(settings={"cache.url": "memory://", "cache.quiet": "true"})
    config.include("{{ cookiecutter.repo_name }}.caching.store")
    with caplog.at_level(logging.WARNING):
        config.include(scaleout)
    assert "memory:// with 3 workers" in caplog.text
