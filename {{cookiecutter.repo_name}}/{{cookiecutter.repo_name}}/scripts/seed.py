"""Seed the example: ``make run`` (development) and ``make demo-data``.

    {{ cookiecutter.repo_name }}-seed INI [--items N]

(a console script; ``python -m {{ cookiecutter.repo_name }}.scripts.seed`` is the
same). Idempotent: running it again tops the catalog up to ``--items`` and adds
nothing when it is already there. The rate is reported, and the progress
every tenth of the way when many rows are added.

It also creates the demo user (``accounts/demo.py``) unless it exists, with
the password ``demo_password()`` gives (development: derived from the
checkout's secret key; production: ``DEMO_PASSWORD``, else a new random one),
printed once here.
"""

import argparse
import sys
import time

import transaction
from pyramid.paster import bootstrap, setup_logging

from ..accounts.demo import DEMO_NAME, demo_password, new_password
from ..accounts.store import ensure_user
from ..catalog import DATASET
from ..catalog.sample import DEFAULT_ITEMS
from ..catalog.seed import seed
from ..db import get_tm_session


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config_uri", help="for example development.ini")
    parser.add_argument(
        "--items",
        type=int,
        default=DEFAULT_ITEMS,
        help=f"items wanted (default {DEFAULT_ITEMS})",
    )
    return parser.parse_args(argv)


# From this many rows to add, the progress is printed (seconds of work).
PROGRESS_FROM = 10_000


def progress_printer(started, file=None):
    """``progress(added, wanted)`` for ``seed``: a line every tenth of the way."""
    shown = 0

    def progress(added, wanted):
        nonlocal shown
        if wanted < PROGRESS_FROM or added < min(shown + wanted // 10, wanted):
            return
        shown = added
        rate = added / max(time.perf_counter() - started, 1e-9)
        print(
            f"seed: {added:,}/{wanted:,} items ({rate:,.0f} rows/s)",
            file=file or sys.stderr,
            flush=True,
        )

    return progress


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.items < 0:
        print("seed: --items must be 0 or more", file=sys.stderr)
        return 2
    setup_logging(args.config_uri)
    with bootstrap(args.config_uri) as env:
        factory = env["registry"]["dbsession_factory"]
        started = time.perf_counter()
        tm = transaction.TransactionManager(explicit=True)
        password = demo_password(env["registry"].settings) or new_password()
        with tm:
            progress = progress_printer(started)
            added = seed(get_tm_session(factory, tm), args.items, progress)
        elapsed = time.perf_counter() - started
        with tm:
            created = ensure_user(get_tm_session(factory, tm), DEMO_NAME, password)
        env["registry"].cache.bump(DATASET)
    rate = added / elapsed if elapsed else 0
    print(f"seed: added {added} items in {elapsed:.2f}s ({rate:,.0f} rows/s)")
    if created:
        print(f"seed: sign in at /login as {DEMO_NAME} / {password}")
    else:
        print(f"seed: the demo user {DEMO_NAME!r} exists (password unchanged)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
