"""Seed the example catalog: ``make run`` (development) and ``make demo-data``.

    python -m {{ cookiecutter.repo_name }}.scripts.seed INI [--items N]

Idempotent: running it again tops the catalog up to ``--items`` and adds
nothing when it is already there. The rate is reported.
"""

import argparse
import sys
import time

import transaction
from pyramid.paster import bootstrap, setup_logging

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
        with tm:
            added = seed(get_tm_session(factory, tm), args.items)
        elapsed = time.perf_counter() - started
        env["registry"].cache.bump(DATASET)
    rate = added / elapsed if elapsed else 0
    print(f"seed: added {added} items in {elapsed:.2f}s ({rate:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
