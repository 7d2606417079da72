"""Per-checkout secrets for development and tests, made at first start.

``development.ini`` and ``testing.ini`` are tracked and shared (and updated
from the template by ``cruft update``), so they hold no secret. They name a
git-ignored file instead (``app.local_secrets = %(here)s/.local_secrets.json``):
an empty ``secret_key`` or ``profiling.token`` is taken from it, and the file is
made with fresh random values (readable by its owner only) the first time.
Production never reads it: it refuses to start without ``SECRET_KEY``.
"""

import contextlib
import json
import os
import secrets
from pathlib import Path

from .settings import SettingsError

SECRET_SETTINGS = ("secret_key", "profiling.token")


def create_once(path, text):
    """Write ``text`` to ``path`` (mode 0600) unless it exists; return the
    file's text. Concurrent first starts (test workers) agree on one file: it
    is written aside, then linked into place, which fails if another won."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(text)
        with contextlib.suppress(FileExistsError):  # another start made it
            os.link(aside, path)
    finally:
        aside.unlink()
    return path.read_text(encoding="ascii")


def local_secrets(path):
    """``{setting: value}`` kept in ``path``, made when missing."""
    made = {name: secrets.token_urlsafe(32) for name in SECRET_SETTINGS}
    try:
        text = Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        text = create_once(path, json.dumps(made, indent=1) + "\n")
    try:
        kept = json.loads(text)
        return {name: str(kept[name]) for name in SECRET_SETTINGS}
    except (ValueError, KeyError, TypeError):
        raise SettingsError(
            f"app.local_secrets: {path} is not a secrets file this app made; "
            "delete it and a new one is made at the next start"
        ) from None


def with_local_secrets(settings):
    """``settings`` with its empty secrets filled from ``app.local_secrets``."""
    path = settings.get("app.local_secrets", "").strip()
    missing = [name for name in SECRET_SETTINGS if not settings.get(name, "").strip()]
    # Production reads SECRET_KEY from the environment and refuses to start
    # without it (web/security.py): a file made on the spot would hide that.
    production = settings.get("app.environment", "production") == "production"
    if not path or not missing or production:
        return settings
    kept = local_secrets(path)
    return {**settings, **{name: kept[name] for name in missing}}
