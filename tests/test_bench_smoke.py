"""The benchmark harness still works: ``make bench-smoke`` end to end.

A few seconds per target (baseline, the default project, the ceiling apps and
the I/O route); it checks the harness, not the figures. Deselect with
``-m "not bench"``. Needs wrk (or falls back to Python), PostgreSQL and Redis.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REQUIRE_SERVICES

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "build" / "smoke-results"


def test_bench_smoke_runs_every_target():
    if not shutil.which("psql") and not REQUIRE_SERVICES:
        pytest.skip("psql not installed: the baseline needs PostgreSQL")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--smoke", "--combos", "default"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    rows = json.loads((RESULTS / "results.json").read_text())["rows"]
    measured = {(row["target"], row["workload"]) for row in rows if row["rps"]}
    for key in [
        ("baseline", "/items warm"),
        ("default", "/items warm"),
        ("default", "cold first pass"),
        ("ceiling same-bytes", "/items warm"),
        ("ceiling bare-same-bytes", "/items warm"),
        ("default", "/items cold"),
        ("ceiling same-work", "/items cold"),
        ("ceiling bare", "bare WSGI"),
        ("default", "I/O 50 ms"),
        ("baseline", "I/O 50 ms"),
        ("default", "20 pages read-only"),
        ("default", "20 pages + 1 writes/s"),
    ]:
        assert key in measured
    mixed = next(row for row in rows if row["workload"] == "20 pages + 1 writes/s")
    # e.g. "0.93x of read-only; 2 writes, 0 failed": the writer wrote, and all
    # of its writes were created (any other answer fails the row).
    assert re.search(r"x of read-only; [1-9]\d* writes, 0 failed", mixed["note"])
    assert not [row for row in rows if row["failed"]]
    assert (RESULTS / "results.png").stat().st_size > 0
    assert "| default | /items warm |" in (RESULTS / "results.md").read_text()
