"""Compiled templates: kept on disk, and all compiled before the first request.

Every engine compiles a template to Python on first use. Without a disk cache
each process (each worker, each restart) pays that on its first requests;
with one, only the first process after a deploy does. ``warm_up`` compiles
every template at start-up, so no user request waits for a compilation and a
broken template fails the deploy instead of a page.

``templates.cache_directory`` (a path; the .ini files use
``%(here)s/var/templates-cache``) is created at start-up. Unset: in memory only.
"""

import logging
from pathlib import Path

from pyramid.events import ApplicationCreated

from . import PACKAGE

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parents[1] / "templates"


def cache_directory(settings):
    """The compiled-template directory from the settings, created; or None."""
    path = settings.get("templates.cache_directory", "").strip()
    if not path:
        return None
    directory = Path(path).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def template_specs(extension):
    """Asset specs of every template of the package, e.g. ``pkg:templates/x.pt``."""
    return [
        f"{PACKAGE}:templates/{path.name}"
        for path in sorted(TEMPLATES.glob(f"*.{extension}"))
    ]


def warm_up_at_start(config, extension, compile_template):
    """Compile every template once the application is built."""

    def warm_up(event):
        specs = template_specs(extension)
        for spec in specs:
            compile_template(event.app.registry, spec)
        log.info("compiled %d templates", len(specs))

    config.add_subscriber(warm_up, ApplicationCreated)
