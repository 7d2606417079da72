"""``make bench``: start the production server on a free port and load-test it.

    python -m {{ cookiecutter.repo_name }}.scripts.bench [--duration 10]
        [--connections 64] [--route /healthz ...] [--tool auto|wrk|python]

Runs the exact production command (``serve.COMMAND``) with ``production.ini``,
then loads every example route in turn with wrk when it is installed, or else
with the small Python generator below (urllib3, one keep-alive connection per
thread; it saturates one CPU itself, so its req/s are a floor, not a ceiling).
Prints requests/s and latency percentiles per route. Run the database
migration first (``make bench`` does).
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass

from .serve import COMMAND

ROUTES = ["/", "/items", "/items/1", "/api/items", "/api/items/1", "/healthz"]
PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class Stats:
    requests_per_second: float
    latency_ms: dict  # percentile -> milliseconds
    errors: int = 0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, environ=None):
    """Start the production server on ``port`` (``environ`` adds to os.environ)."""
    env = {**os.environ, **(environ or {})}
    env.setdefault("APP_INI", "production.ini")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    env.update(HOST="127.0.0.1", PORT=str(port))
    return subprocess.Popen(COMMAND, env=env)


def wait_until_ready(base_url, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"server not ready after {timeout}s")


def stop_server(process, timeout=30.0):
    """SIGTERM (graceful shutdown), then the exit code."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def percentile(sorted_values, p):
    index = min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


def run_python(url, duration, connections):
    """Closed-loop load: ``connections`` threads, each request after the last."""
    import urllib3

    parts = urllib3.util.parse_url(url)
    latencies, errors = [], []
    deadline = time.monotonic() + duration

    def worker():
        pool = urllib3.HTTPConnectionPool(parts.host, parts.port, maxsize=1)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            response = pool.request("GET", parts.request_uri, retries=False)
            mine.append(time.perf_counter() - start)
            failed += response.status >= 500
        latencies.extend(mine)
        errors.append(failed)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return Stats(
        requests_per_second=len(latencies) / elapsed,
        latency_ms={p: percentile(latencies, p) * 1000 for p in PERCENTILES},
        errors=sum(errors),
    )


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output):
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for p in PERCENTILES:
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        latency[p] = float(match.group(1)) * UNITS_MS[match.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Stats(rate, latency, int(errors.group(1)) if errors else 0)


def run_wrk(url, duration, connections):
    threads = min(connections, os.cpu_count() or 1)
    command = ["wrk", "--latency", f"-t{threads}", f"-c{connections}"]
    command += [f"-d{max(1, round(duration))}s", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(output.stdout)


def format_row(route, stats):
    latency = "  ".join(f"p{p} {stats.latency_ms[p]:8.2f}" for p in PERCENTILES)
    return f"{route:<16} {stats.requests_per_second:10.1f} req/s  {latency} ms" + (
        f"  ({stats.errors} errors)" if stats.errors else ""
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--route", action="append", dest="routes")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    use_wrk = args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk"))
    load = run_wrk if use_wrk else run_python

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = start_server(port)
    try:
        wait_until_ready(base_url, process)
        print(f"{'wrk' if use_wrk else 'python'}: {args.connections} connections,")
        print(f"{args.duration:g}s per route, server: {' '.join(COMMAND[1:])}")
        for route in args.routes or ROUTES:
            stats = load(base_url + route, args.duration, args.connections)
            print(format_row(route, stats), flush=True)
    finally:
        stop_server(process)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
