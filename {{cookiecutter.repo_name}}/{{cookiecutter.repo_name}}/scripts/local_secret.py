"""Run a command with a local ``SECRET_KEY`` when none is set (``make serve``).

    python -m {{ cookiecutter.repo_name }}.scripts.local_secret -- COMMAND...

Production refuses to start without ``SECRET_KEY``. On a machine where it is
not set, a key is made once into ``.secret_key`` (git-ignored, mode 0600) and
reused on every start, so sessions survive restarts. Deployments set
``SECRET_KEY`` themselves (the same on every machine).
"""

import os
import secrets
import sys
from pathlib import Path

from ..local_secrets import create_once

SECRET_FILE = Path(".secret_key")


def local_secret(path=SECRET_FILE):
    """The key kept in ``path``, made (readable by its owner only) when missing."""
    try:
        return path.read_text(encoding="ascii").strip(), False
    except FileNotFoundError:
        key = secrets.token_urlsafe(32)
        return create_once(path, key + "\n").strip(), True


def main(argv=None):  # pragma: no cover - run in a subprocess by tests
    argv = sys.argv[1:] if argv is None else argv
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: local_secret -- COMMAND...", file=sys.stderr)
        return 2
    if not os.environ.get("SECRET_KEY"):
        key, made = local_secret()
        os.environ["SECRET_KEY"] = key
        print(
            f"SECRET_KEY not set: using the key {'made in' if made else 'kept in'} "
            f"{SECRET_FILE} (deployments set SECRET_KEY)",
            file=sys.stderr,
        )
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
