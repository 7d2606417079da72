"""The line the production server prints once its socket listens: the address
to open, not the one bound (``0.0.0.0`` is every interface, not a URL)."""

import sys

EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::"})


def local_url(host, port):
    """``http://localhost:6543/`` for a server bound to every interface."""
    if host in EVERY_INTERFACE:
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def announce(host, port, workers, file=None):
    plural = "" if workers == 1 else "s"
    print(
        f"{{ cookiecutter.repo_name }}: listening on {local_url(host, port)} "
        f"({workers} worker{plural}; SIGTERM or Ctrl-C stops)",
        file=file or sys.stderr,
        flush=True,
    )
