#!/usr/bin/env python3
"""pyramid-fast soak: the production server held under load, memory watched.

    python3 benchmarks/soak.py [--seconds 60] [--connections 64]

For each combination (default, redis-pg-gevent) it bakes, sets up and serves
the project exactly as the bench package does (``make serve``, 2 workers),
warms it up, then runs wrk for 60 s at 64 connections, requests rotating
through ROUTES. The run fails on any socket error or any status other than
200/304. The resident memory (VmRSS from /proc) of every process in the
server's process group is sampled after the warm-up and after the soak; the
growth is reported per process and in total in ``results/soak.md``. Standard
library only; needs wrk, PostgreSQL (database ``soak``) and Redis (database 11,
flushed first).
"""

import argparse
import dataclasses
import os
import shutil
import sys
import time
from pathlib import Path

from bench.build import (
    bake,
    ensure_database,
    project_env,
    setup_project,
    tools_venv,
)
from bench.config import BENCHMARKS, COMBOS, FULL
from bench.load import load
from bench.servers import start_project
from bench.shell import log

ROUTES = ["/", "/items", "/items?page=3", "/api/items", "/items/7"]
SOAK_COMBOS = ["default", "redis-pg-gevent"]
ACCEPTED = {200, 304}
SOAK = dataclasses.replace(
    FULL,
    name="soak",
    duration=60,
    warmup=10,
    connections=64,
    database="soak",
    redis_url="redis://127.0.0.1:6379/11",
)


@dataclasses.dataclass
class Soak:
    combo: str
    summary: dict
    rss_before: dict  # pid -> (label, kB)
    rss_after: dict

    @property
    def socket_errors(self):
        return sum(self.summary["errors"].values())

    @property
    def bad_statuses(self):
        statuses = self.summary["statuses"]
        return {s: n for s, n in statuses.items() if int(s) not in ACCEPTED}

    @property
    def failed(self):
        return bool(self.socket_errors or self.bad_statuses)

    @property
    def rps(self):
        return self.summary["requests"] / (self.summary["duration_us"] / 1e6)


# ------------------------------------------------------------------ memory


def group_rss(pgid):
    """VmRSS in kB of every process in process group ``pgid``, labelled."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:  # exited meanwhile
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp.
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        _, ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) != pgid:
            continue
        rss = next(
            (
                int(ln.split()[1])
                for ln in status.splitlines()
                if ln.startswith("VmRSS:")
            ),
            0,  # a zombie has no VmRSS line
        )
        pid = int(entry.name)
        role = "make" if pid == pgid else "main" if int(ppid) == pgid else "worker"
        found[pid] = (f"{role} ({comm})", rss)
    return found


# -------------------------------------------------------------------- soak


def soak(combo, project, env, seconds, connections):
    script = BENCHMARKS / "soak.lua"
    name = f"soak-{combo}"
    with start_project(name, combo, project, env, SOAK.redis_url) as server:
        port = server.port
        log(f"{combo}: warm-up {SOAK.warmup:g} s")
        load(port, "/", SOAK.warmup, connections, script=script, script_args=ROUTES)
        before = group_rss(server.process.pid)
        log(f"{combo}: soak {seconds} s at {connections} connections")
        summary = load(
            port, "/", seconds, connections, script=script, script_args=ROUTES
        )
        after = group_rss(server.process.pid)
    result = Soak(combo, summary, before, after)
    log(
        f"{combo}: {result.rps:.0f} req/s, statuses {summary['statuses']}, "
        f"socket errors {summary['errors']}, RSS "
        f"{kb_total(before) / 1024:.1f} -> {kb_total(after) / 1024:.1f} MiB"
    )
    return result


# ------------------------------------------------------------------ report


def kb_total(sample):
    return sum(rss for _, rss in sample.values())


def mib(kb):
    return f"{kb / 1024:.1f}"


def growth(before_kb, after_kb):
    # + 0.0 turns a rounded -0.0 into 0.0
    return f"{round((after_kb - before_kb) / 1024, 1) + 0.0:+.1f}"


def report(results, seconds, connections, started_at, loadavg):
    lines = [
        "# Soak: the production server under sustained load",
        "",
        f"Measured {started_at} with `make soak` (benchmarks/soak.py) on "
        f"`nproc` = {os.cpu_count()}, load average at start {loadavg} "
        "(the machine was shared with other work: figures are from a loaded "
        "machine, one run).",
        f"wrk, 2 threads, {connections} connections, {seconds} s after a "
        f"{SOAK.warmup:g} s warm-up, each wrk thread rotating through "
        + ", ".join(f"`{r}`" for r in ROUTES)
        + f"; production server (`make serve`), {SOAK.workers} workers, "
        f"{SOAK.items} seeded items. Pass = no socket error and only 200/304.",
        "",
        "| combination | requests | req/s | p50 ms | p99 ms | socket errors "
        "| statuses | RSS after warm-up MiB | RSS after soak MiB | growth MiB "
        "| result |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        s = r.summary
        before, after = kb_total(r.rss_before), kb_total(r.rss_after)
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(s["statuses"].items()))
        lines.append(
            f"| {r.combo} | {s['requests']:,} | {r.rps:,.0f} "
            f"| {s['p50_us'] / 1000:.1f} | {s['p99_us'] / 1000:.1f} "
            f"| {r.socket_errors} | {statuses} "
            f"| {mib(before)} | {mib(after)} | {growth(before, after)} "
            f"| {'FAILED' if r.failed else 'pass'} |"
        )
    lines += [
        "",
        "## RSS per process (VmRSS, process group of `make serve`)",
        "",
        "| combination | pid | process | after warm-up MiB | after soak MiB "
        "| growth MiB |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for r in results:
        for pid in sorted(r.rss_before.keys() | r.rss_after.keys()):
            label, before = r.rss_before.get(pid, (None, None))
            label_after, after = r.rss_after.get(pid, (label, None))
            change = growth(before, after) if None not in (before, after) else "n/a"
            lines.append(
                f"| {r.combo} | {pid} | {label or label_after} "
                f"| {mib(before) if before is not None else 'gone'} "
                f"| {mib(after) if after is not None else 'gone'} | {change} |"
            )
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=SOAK.duration)
    parser.add_argument("--connections", type=int, default=SOAK.connections)
    parser.add_argument(
        "--combos", nargs="+", default=SOAK_COMBOS, choices=list(COMBOS)
    )
    parser.add_argument("--out", type=Path, default=SOAK.results / "soak.md")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("soak needs wrk (the Python fallback cannot rotate routes)")
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    tools_python = tools_venv()
    ensure_database(SOAK.database)
    results = []
    for combo in args.combos:
        project = bake(tools_python, combo)
        env = project_env(SOAK, combo, project)
        setup_project(SOAK, combo, project, env)
        results.append(soak(combo, project, env, args.seconds, args.connections))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        report(results, args.seconds, args.connections, started_at, loadavg)
    )
    log(f"wrote {args.out}")
    for r in results:
        if r.failed:
            log(
                f"FAILED {r.combo}: socket errors {r.summary['errors']}, "
                f"statuses {r.bad_statuses}"
            )
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
