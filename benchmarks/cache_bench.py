"""Requests/s of ``/`` and ``/items`` with a warm server-side cache, per backend.

One baked project (cache_backend=memcached; every project carries every
backend's module, so ``CACHE_URL`` switches between all four backends),
served by its production server (``python -m <pkg>.scripts.serve``, 2
workers), one backend after the other in one run, measured with wrk. Writes
``results/cache.md``. Needs wrk, Redis on 127.0.0.1:6379 (database 9 is
flushed) and memcached on 127.0.0.1:11211; run it with a Python that has the
generated project's dependencies plus redis and pymemcache:

    python benchmarks/cache_bench.py [--seconds 8] [--connections 16]
"""

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.config import REPO_NAME, SEED_MODULE, SERVE_MODULE

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
PACKAGE = REPO_NAME
BACKENDS = {
    "none": "none://",
    "memory": "memory://",
    "redis": "redis://127.0.0.1:6379/9",
    "memcached": "memcached://127.0.0.1:11211",
}
PATHS = ["/", "/items"]


def bake(workdir, cache_backend):
    subprocess.run(
        [
            *(sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE)),
            *("-o", str(workdir / cache_backend), f"cache_backend={cache_backend}"),
        ],
        check=True,
    )
    return workdir / cache_backend / PACKAGE


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        assert r.status == 200, (path, r.status)
        return r.read()


def wait_ready(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            return get(port, "/healthz")
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def wrk(port, path, seconds, connections):
    out = subprocess.run(
        [
            *("wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    return rps, to_ms(*p50.groups()), to_ms(*p99.groups())


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cache-bench-"))
    project = bake(workdir, "memcached")  # every project carries every backend
    secret = "x" * 40
    env = {**os.environ, "APP_INI": "production.ini", "SECRET_KEY": secret}
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "production.ini", "upgrade", "head"],
        cwd=project,
        env=env,
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.{SEED_MODULE}", "production.ini"],
        cwd=project,
        env=env,
        check=True,
    )
    subprocess.run(["redis-cli", "-n", "9", "flushdb"], check=True)
    servers = {}
    try:
        # All four up at once; each idles while the others are measured.
        for name, url in BACKENDS.items():
            port = free_port()
            server_env = {**env, "PORT": str(port), "WEB_CONCURRENCY": "2"}
            server_env["CACHE_URL"] = url
            servers[name] = (
                port,
                subprocess.Popen(
                    [sys.executable, "-m", f"{PACKAGE}.{SERVE_MODULE}"],
                    cwd=project,
                    env=server_env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )
        for port, process in servers.values():
            wait_ready(port, process)
            for path in PATHS:
                for _ in range(50):  # every worker's cache (or the shared one) warm
                    get(port, path)
        # Rounds interleave the backends so that load from elsewhere on the
        # machine hits them alike; each row reports its median round.
        runs = {}
        for _ in range(args.rounds):
            for name, (port, _process) in servers.items():
                for path in PATHS:
                    result = wrk(port, path, args.seconds, args.connections)
                    runs.setdefault((name, path), []).append(result)
                    print(name, path, result, flush=True)
    finally:
        for _port, process in servers.values():
            process.terminate()
        for _port, process in servers.values():
            process.wait(30)
    rows = []
    for (name, path), results in runs.items():
        results.sort()
        rows.append((name, BACKENDS[name], path, *results[len(results) // 2]))
    report(rows, args)


def report(rows, args):
    reference = {path: rps for name, _, path, rps, *_ in rows if name == "none"}
    lines = [
        "# Server-side cache backends: warm `/` and `/items`",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}, by `benchmarks/cache_bench.py`.",
        f"One bake (memcached + sqlalchemy + sqlite + chameleon + threads, the "
        "seed's default 1,000 items), production server "
        f"`python -m {PACKAGE}.{SERVE_MODULE}` with `production.ini`, "
        "`WEB_CONCURRENCY=2`, `CACHE_URL` switched per row; "
        f"wrk, {args.connections} connections, {args.rounds} rounds of "
        f"{args.seconds} s per row interleaved across the four servers (all "
        "running), median round shown; 50 warm-up requests per path first. "
        "Redis and Memcached run on the same machine.",
        "",
        "| cache | CACHE_URL | path | req/s | p50 ms | p99 ms | vs none |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name, url, path, rps, p50, p99 in rows:
        lines.append(
            f"| {name} | `{url}` | `{path}` | {rps:,.0f} | {p50:.2f} | {p99:.2f} "
            f"| {rps / reference[path]:.2f}x |"
        )
    lines += [
        "",
        "Figures are from one run on a shared machine (other processes were "
        "running); compare rows with each other, not with other runs.",
        "",
    ]
    (HERE / "results" / "cache.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
