"""pyramid-fast benchmark: generated projects side by side with a naive
baseline and the server's ceiling, in one run on one machine.

The command line (``python3 -m benchmarks.bench [--smoke] [--combos ...]
[--before REV]`` from the repository root): set everything up, measure every
target one after the other, write the results, and exit 1 when any row failed.
``--before REV`` also bakes each combination from the template at commit REV
(targets ``<combo>@<commit>``), measured just before today's: a before/after
of every row from one run on one machine.
"""

import argparse
import subprocess
import sys
import time

from .build import (
    bake,
    baseline_venv,
    ensure_database,
    project_env,
    setup_baseline_database,
    setup_project,
    tools_venv,
)
from .config import (
    COMBOS,
    FULL,
    REFERENCE_COMBO,
    SMOKE,
    TEMPLATE,
    revision,
    uses_gevent,
    uses_postgresql,
)
from .report import write_results
from .shell import log
from .workloads import (
    bench_baseline,
    bench_ceiling,
    bench_io,
    bench_project,
    profile_items,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -m benchmarks.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds per target; results under build/",
    )
    parser.add_argument(
        "--combos",
        nargs="+",
        default=list(COMBOS),
        choices=list(COMBOS),
        help="template combinations to bake",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also bench each combination baked from this git revision",
    )
    return parser.parse_args(argv)


def targets(combos, before):
    """The combinations to bake, each preceded by its ``--before`` twin."""
    if not before:
        return list(combos)
    commit = subprocess.run(
        ["git", "-C", TEMPLATE, "rev-parse", "--short", before],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return [name for combo in combos for name in (f"{combo}@{commit}", combo)]


def main(argv=None):
    args = parse_args(argv)
    mode = SMOKE if args.smoke else FULL
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    started = time.monotonic()
    mode.results.mkdir(parents=True, exist_ok=True)

    tools_python = tools_venv()
    base_python = baseline_venv()
    ensure_database(mode.database)
    projects = {}
    for combo in targets(args.combos, args.before):
        project = bake(tools_python, combo)
        env = project_env(mode, combo, project)
        setup_project(mode, combo, project, env)
        projects[combo] = (project, env)
    if not any(uses_postgresql(combo) for combo in projects):
        setup_baseline_database(mode, *next(iter(projects.values())))

    rows = []
    bench_baseline(mode, base_python, rows)
    pages = None
    for combo, (project, env) in projects.items():
        captured = bench_project(mode, combo, project, env, rows)
        if not revision(combo) and (pages is None or combo == REFERENCE_COMBO):
            pages = captured
    # The ceilings, I/O rows and profile are measured on today's code only.
    today = [combo for combo in projects if not revision(combo)]
    threads_combo = next((c for c in today if not uses_gevent(c)), None)
    gevent_combo = next((c for c in today if uses_gevent(c)), None)
    # The ceiling, the threads I/O row and the profile use one threads project.
    reference = REFERENCE_COMBO if REFERENCE_COMBO in projects else threads_combo
    if reference:
        bench_ceiling(mode, *projects[reference], pages, rows)
    if gevent_combo:  # gunicorn + gevent: its rows' own ceilings
        bench_ceiling(mode, *projects[gevent_combo], pages, rows, gevent=True)
    io_projects = [projects[c][0] for c in (reference, gevent_combo) if c]
    bench_io(mode, base_python, io_projects, rows)
    profile_text = ""
    if reference and not args.smoke:
        profile_text = profile_items(*projects[reference], mode.results)

    elapsed = time.monotonic() - started
    write_results(rows, mode, started_at, elapsed, profile_text, tools_python)
    failed = [row for row in rows if row.failed]
    log(f"done in {elapsed:.0f}s: {mode.results / 'results.md'}")
    for row in failed:
        log(f"FAILED: {row.target} {row.workload}: {row.statuses} {row.note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
