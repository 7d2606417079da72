"""The start-up warning about per-process settings under several workers."""

import logging

import pytest
from pyramid.config import Configurator

from {{ cookiecutter.repo_name }} import scaleout

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


def test_memory_cache_with_one_worker_is_fine():
    assert per_process_warnings({"cache.url": "memory://"}, workers=1) == []


def test_memory_cache_with_several_workers_warns():
    (message,) = per_process_warnings({"cache.url": "memory://"}, workers=2)
    assert "2 workers" in message
    assert "CACHE_URL" in message


@pytest.mark.parametrize(
    "url", ["redis://cache:6379/0", "memcached://a:1,b:2", "none://"]
)
def test_shared_or_no_cache_never_warns(url):
    assert per_process_warnings({"cache.url": url}, workers=8) == []


def test_includeme_logs_the_warning_at_startup(monkeypatch, caplog):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with caplog.at_level(logging.WARNING):
        Configurator(settings={"cache.url": "memory://"}).include(scaleout)
    assert "memory:// with 3 workers" in caplog.text
