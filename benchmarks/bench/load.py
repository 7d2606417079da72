"""Load on one URL and one measured row: wrk with wrk_report.lua (or a slower
Python load generator when wrk is missing), the row's statuses and errors
checked, the queries per request read from ``Server-Timing``."""

import http.client
import json
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

from .config import BENCHMARKS, HOST
from .servers import fetch
from .shell import log

WRK_THREADS = 2  # at most; never more than connections
REQUEST_TIMEOUT = 10  # seconds before a request counts as a timeout error
WRK_REPORT = BENCHMARKS / "wrk_report.lua"  # prints the BENCH_JSON summary line
BENCH_JSON = "BENCH_JSON "


@dataclass
class Row:
    target: str
    workload: str
    path: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    queries: str = ""
    connections: int = 0
    note: str = ""
    failed: bool = False


def queries_from(headers):
    timing = headers.get("server-timing", "")
    if 'page;desc="stored"' in timing:  # answered by pagecache.py: no query can run
        return "0"
    match = re.search(r"(\d+) quer", timing)
    return match.group(1) if match else ""


def load(port, path, seconds, connections, headers=None, script=None, script_args=()):
    """Run wrk (or the Python fallback); return its JSON summary.

    ``script`` replaces wrk_report.lua (it must print the same BENCH_JSON line);
    ``script_args`` are passed to its ``init``.
    """
    url = f"http://{HOST}:{port}{path}"
    if not shutil.which("wrk"):
        paths = list(script_args) or [path]  # wrk_report.lua's arguments
        return python_load(port, paths, seconds, connections, headers or {})
    cmd = [
        "wrk",
        "-t",
        min(WRK_THREADS, connections),
        "-c",
        connections,
        "-d",
        f"{max(1, round(seconds))}s",  # wrk takes whole seconds
        "--timeout",
        f"{REQUEST_TIMEOUT}s",
        "-s",
        script or WRK_REPORT,
    ]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    out = subprocess.run(
        [str(part) for part in cmd], check=True, capture_output=True, text=True
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith(BENCH_JSON))
    return json.loads(line.removeprefix(BENCH_JSON))


def python_load(port, paths, seconds, connections, headers):
    """Fallback load generator: keep-alive connections on threads (slower),
    each requesting ``paths`` in turn."""
    latencies, statuses = [], {}
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}  # wrk's keys
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def connect():
        return http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def worker(offset):
        conn = connect()
        while time.monotonic() < deadline:
            offset += 1
            start = time.perf_counter()
            try:
                conn.request("GET", paths[offset % len(paths)], headers=headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                with lock:
                    errors["read"] += 1
                conn.close()
                conn = connect()
                continue
            with lock:
                latencies.append(time.perf_counter() - start)
                key = str(response.status)
                statuses[key] = statuses.get(key, 0) + 1

    started = time.monotonic()
    threads = [
        threading.Thread(target=worker, args=(number,)) for number in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile_us(fraction):
        if not latencies:
            return 0
        index = min(len(latencies) - 1, int(len(latencies) * fraction))
        return int(latencies[index] * 1e6)

    return {
        "requests": len(latencies),
        "duration_us": int((time.monotonic() - started) * 1e6),
        "p50_us": percentile_us(0.5),
        "p99_us": percentile_us(0.99),
        "errors": errors,
        "statuses": statuses,
    }


def measure(
    target,
    workload,
    port,
    path,
    mode,
    *,
    connections=None,
    headers=None,
    expected=(200,),
    rotate=(),
    rows,
):
    """Load ``path`` for ``mode.duration``; append the row to ``rows`` and return it.

    ``rotate``: paths requested in turn instead (``path`` is the first, whose
    queries the row reports).
    """
    connections = connections or mode.connections
    summary = load(port, path, mode.duration, connections, headers, script_args=rotate)
    statuses = {int(k): v for k, v in summary["statuses"].items()}
    errors = sum(summary["errors"].values()) + sum(
        count for status, count in statuses.items() if status not in expected
    )
    _, response_headers, _ = fetch(port, path, headers)
    row = Row(
        target,
        workload,
        path,
        rps=summary["requests"] / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=errors,
        statuses=statuses,
        connections=connections,
        queries=queries_from(response_headers),
        failed=errors > 0 or not statuses,
    )
    log(
        f"{target:>22} {workload:<14} {row.rps:>9.0f} req/s  p50 {row.p50_ms:.2f} ms"
        f"  p99 {row.p99_ms:.2f} ms  statuses {statuses}  errors {errors}"
    )
    rows.append(row)
    return row
