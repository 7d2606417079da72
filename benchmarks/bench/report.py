"""The results of a run: results.json (every row), results.md (the table, with
ratios against the baseline and the same-bytes ceiling) and results.png
(drawn by benchmarks/chart.py)."""

import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

from .config import (
    BENCHMARKS,
    COMBOS,
    ITEMS_PER_PAGE,
    REFERENCE_COMBO,
    revision,
    uses_gevent,
)
from .shell import run
from .workloads import (
    BASELINE_TARGET,
    CEILINGS,
    IO,
    ITEMS_WARM,
    REVALIDATE,
    ceiling_target,
)

CHART = BENCHMARKS / "chart.py"


def ratio(value, reference):
    if not (value and reference):
        return ""
    return f"{value / reference:.3g}x"


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def references(row, by_key):
    """The baseline and ceiling rows ``row`` is compared with (or None)."""
    workload = row.workload
    if workload == REVALIDATE:  # against the full page
        workload = ITEMS_WARM
    base = by_key.get((BASELINE_TARGET, workload))
    if workload.startswith(IO):  # the baseline makes one kind of call
        base = by_key.get((BASELINE_TARGET, IO))
    # A gevent project is compared with the ceilings served by gunicorn + gevent.
    combo = row.target.partition("@")[0]
    gevent = combo in COMBOS and uses_gevent(combo)
    ceilings = (by_key.get((ceiling_target(app, gevent), workload)) for app in CEILINGS)
    return base, next((ceiling for ceiling in ceilings if ceiling), None)


def before(row, by_key, commits):
    """The same workload on the same combination baked from an earlier commit."""
    for commit in commits:
        found = by_key.get((f"{row.target}@{commit}", row.workload))
        if found:
            return found
    return None


def report(rows, mode, started, elapsed, profile_text):
    by_key = {(row.target, row.workload): row for row in rows}
    commits = sorted({revision(row.target) for row in rows} - {None})
    lines = [
        f"# pyramid-fast benchmark ({mode.name})",
        "",
        f"Measured {started} in {elapsed:.0f} s on {machine()}.",
        f"Load: wrk, {mode.duration:g} s per row, {mode.connections} connections "
        f"({mode.io_connections} for the I/O rows), {mode.workers} server workers; "
        f"{mode.items} seeded items, {ITEMS_PER_PAGE} per page.",
        "Ratios compare requests/s with the baseline's row for the same workload "
        "and with the ceiling for the same page on the same server (granian, or "
        "gunicorn + gevent for a gevent project): a bare WSGI callable returning "
        "its bytes (warm rows), the same queries returning its bytes (cold row).",
        "",
        "| target | workload | req/s | p50 ms | p99 ms | errors | queries/req "
        "| vs baseline | vs ceiling | vs before | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    if commits:
        lines.insert(
            -3,
            f"vs before: the same row on the same combination baked from commit "
            f"{', '.join(commits)} (targets `<combo>@<commit>`), measured in this run.",
        )
    for row in rows:
        base, ceiling = references(row, by_key)
        vs_base = (
            ratio(row.rps, base.rps) if base and row.target != BASELINE_TARGET else ""
        )
        vs_ceiling = (
            ratio(row.rps, ceiling.rps)
            if ceiling and not row.target.startswith("ceiling")
            else ""
        )
        earlier = before(row, by_key, commits)
        vs_before = ratio(row.rps, earlier.rps) if earlier else ""
        rps = f"{row.rps:,.0f}" if row.rps else "n/a"
        lines.append(
            f"| {row.target} | {row.workload} | {rps} | "
            f"{row.p50_ms:.2f} | {row.p99_ms:.2f} | {row.errors} | {row.queries} | "
            f"{vs_base} | {vs_ceiling} | {vs_before} | "
            f"{'FAILED ' if row.failed else ''}{row.note} |"
        )
    lines += [
        "",
        "Statuses per row are in results.json. The 304 row's ratios compare "
        "with `/items warm` (baseline: a full 200 page).",
        "",
    ]
    if profile_text:
        lines += [
            f"## Profile of warm `/items?page=1` ({REFERENCE_COMBO}, in process)",
            "",
            "```",
            profile_text.strip(),
            "```",
            "",
        ]
    return "\n".join(lines)


def write_results(rows, mode, started_at, elapsed, profile_text, tools_python):
    """results.json, results.md and results.png under ``mode.results``."""
    (mode.results / "results.json").write_text(
        json.dumps(
            {
                "mode": mode.name,
                "started": started_at,
                "machine": machine(),
                "rows": [asdict(row) for row in rows],
            },
            indent=1,
            default=str,
        )
    )
    (mode.results / "results.md").write_text(
        report(rows, mode, started_at, elapsed, profile_text)
    )
    chart = [mode.results / "results.json", mode.results / "results.png"]
    run([tools_python, CHART, *chart])
