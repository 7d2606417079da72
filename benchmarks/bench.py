#!/usr/bin/env python3
"""pyramid-fast benchmark: generated projects side by side with a naive
baseline and the server's ceiling, in one run on one machine.

    python3 benchmarks/bench.py            # full run -> benchmarks/results/
    python3 benchmarks/bench.py --smoke    # a few seconds per target -> build/

Standard library only: it builds its own virtualenvs under benchmarks/build/
(uv when available, else venv + pip), bakes the template with cookiecutter,
migrates and seeds each project, starts each server on a free port with the
project's own ``make serve`` and measures with wrk (a Python load generator is
used only when wrk is missing). Any error or unexpected status fails the run.
"""

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
BUILD = HERE / "build"
APPS = HERE / "apps"
BASELINE = HERE / "baseline"
REPO_NAME = "pyramid_fast_app"  # the template's default repo_name
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
SECRET_KEY = "benchmark-only-secret-key-0123456789abcdef"

COMBOS = {
    "default": {},
    "redis-pg-threads": {
        "cache_backend": "redis",
        "database": "postgresql",
        "concurrency": "threads",
    },
    "redis-pg-gevent": {
        "cache_backend": "redis",
        "database": "postgresql",
        "concurrency": "gevent",
    },
}


@dataclass(frozen=True)
class Mode:
    name: str
    duration: float  # seconds per measurement
    warmup: float
    connections: int
    io_connections: int
    items: int
    cold_pages: int
    database: str
    redis_url: str
    results: Path
    workers: int = 2


FULL = Mode(
    "full",
    8,
    2,
    16,
    200,
    10_000,
    10,
    "bench",
    "redis://127.0.0.1:6379/5",
    HERE / "results",
)
SMOKE = Mode(
    "smoke",
    2,
    0,
    4,
    50,
    1_000,
    2,
    "bench_smoke",
    "redis://127.0.0.1:6379/6",
    BUILD / "smoke-results",
)


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


# --------------------------------------------------------------------- setup


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd, **kwargs):
    log("$ " + " ".join(str(part) for part in cmd))
    subprocess.run([str(part) for part in cmd], check=True, **kwargs)


def find_uv():
    for candidate in (shutil.which("uv"), "/tmp/v/bin/uv"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def tool_path():
    """PATH with uv first, so the projects' Makefiles use it when it exists."""
    bin_dir = BUILD / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    uv = find_uv()
    link = bin_dir / "uv"
    if uv and not link.exists():
        link.symlink_to(uv)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def ensure_venv(path, packages):
    """A virtualenv at ``path`` holding ``packages`` (pip requirement strings)."""
    python = path / "bin" / "python"
    stamp = path / ".bench-installed"
    wanted = "\n".join(packages)
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    uv = find_uv()
    if uv:
        if not python.exists():
            run([uv, "venv", "--quiet", "--python", sys.executable, path])
        run([uv, "pip", "install", "--quiet", "--python", python, *packages])
    else:
        if not python.exists():
            run([sys.executable, "-m", "venv", path])
        run([python, "-m", "pip", "install", "--quiet", *packages])
    stamp.write_text(wanted)
    return python


def tools_venv():
    return ensure_venv(BUILD / "venv-tools", ["cookiecutter>=2.7", "matplotlib"])


def baseline_venv():
    requirements = BASELINE / "requirements.txt"
    packages = [
        line.strip()
        for line in requirements.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return ensure_venv(BUILD / "venv-baseline", packages)


def ensure_database(name):
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tAc",
            f"select 1 from pg_database where datname = '{name}'",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-qc",
                f"create database {name}",
            ]
        )


def flush_redis(url):
    host_port, db = url.removeprefix("redis://").split("/")
    host, port = host_port.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"SELECT {db}\r\nFLUSHDB\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            reply += sock.recv(100)
    if reply.count(b"+OK") != 2:
        raise RuntimeError(f"redis FLUSHDB failed: {reply!r}")


def bake(tools_python, combo):
    out = BUILD / "bakes" / combo
    answers = [f"{key}={value}" for key, value in COMBOS[combo].items()]
    cookiecutter = tools_python.parent / "cookiecutter"
    # --overwrite-if-exists keeps the project's .venv between runs.
    run(
        [
            cookiecutter,
            "--no-input",
            "--overwrite-if-exists",
            TEMPLATE,
            "-o",
            out,
            *answers,
        ]
    )
    return out / REPO_NAME


def project_env(mode, combo, path):
    env = dict(
        os.environ,
        PATH=tool_path(),
        SECRET_KEY=SECRET_KEY,
        APP_INI="production.ini",
        SERVER_TIMING="true",
        WEB_CONCURRENCY=str(mode.workers),
    )
    env.pop("VIRTUAL_ENV", None)
    if "database" in COMBOS[combo]:
        env["DATABASE_URL"] = PG + mode.database
    else:
        env["DATABASE_URL"] = f"sqlite:///{BUILD / f'{mode.name}-{combo}.sqlite'}"
    if COMBOS[combo].get("cache_backend") == "redis":
        env["CACHE_URL"] = mode.redis_url
    return env


def setup_project(mode, combo, project, env):
    # Install with the project's Makefile; migrate and seed directly (the same
    # commands as its migrate-% target) so --items can be passed.
    run(["make", "-C", project, ".venv/.installed-base"], env=env)
    migrate_and_seed(mode, project, env)


def setup_baseline_database(mode, project, env):
    """The baseline reads the projects' schema and rows from PostgreSQL.

    When no baked combination uses PostgreSQL (``--combos default``), one
    project's migration and seed fill it, with psycopg added to its venv.
    """
    python = project / ".venv/bin/python"
    uv = find_uv()
    install = (
        [uv, "pip", "install", "--python", python]
        if uv
        else [python, "-m", "pip", "install"]
    )
    run([*install, "--quiet", "psycopg[binary]"], env=env)
    migrate_and_seed(mode, project, dict(env, DATABASE_URL=PG + mode.database))


def migrate_and_seed(mode, project, env):
    run(
        [project / ".venv/bin/alembic", "-c", "production.ini", "upgrade", "head"],
        cwd=project,
        env=env,
    )
    run(
        [
            project / ".venv/bin/python",
            "-m",
            f"{REPO_NAME}.seed",
            "production.ini",
            "--items",
            mode.items,
        ],
        cwd=project,
        env=env,
    )


# ------------------------------------------------------------------- servers


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process group started by us, stopped by its process group id."""

    def __init__(self, name, cmd, env, cwd, port, ready_path="/"):
        self.name, self.port = name, port
        self.log_path = BUILD / "logs" / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log(f"start {name} on :{port}: {' '.join(map(str, cmd))}")
        self.log_file = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(part) for part in cmd],
            env=env,
            cwd=cwd,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(ready_path)

    def _wait_ready(self, path, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                status, _, _ = fetch(self.port, path)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def fetch(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        # Header names lower-cased: granian sends them in lower case.
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        conn.close()


def server_options(venv_bin, project):
    """The project's ``serve.server_options`` with no environment, read in its venv."""
    return json.loads(
        subprocess.run(
            [
                venv_bin / "python",
                "-c",
                f"import json; from {project.name}.serve import server_options; "
                "print(json.dumps(server_options({}, 1), default=str))",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def granian_cmd(venv_bin, project, app, mode, port):
    """The project's production granian settings (``serve.py``), pointed at ``app``."""
    threads = server_options(venv_bin, project)["blocking_threads"]
    return [
        venv_bin / "granian",
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        port,
        "--workers",
        mode.workers,
        "--blocking-threads",
        threads,
        "--backpressure",
        threads,
        app,
    ]


# -------------------------------------------------------------- load testing


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
    url = f"http://127.0.0.1:{port}{path}"
    if shutil.which("wrk"):
        cmd = [
            "wrk",
            "-t",
            min(2, connections),
            "-c",
            connections,
            "-d",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            script or HERE / "wrk_report.lua",
        ]
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        out = subprocess.run(
            [
                str(part)
                for part in [*cmd, url, *(["--", *script_args] if script_args else [])]
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
        return json.loads(line.removeprefix("BENCH_JSON "))
    return python_load(port, path, seconds, connections, headers or {})


def python_load(port, path, seconds, connections, headers):
    """Fallback load generator: keep-alive connections on threads (slower)."""
    latencies, statuses, errors = (
        [],
        {},
        {"connect": 0, "read": 0, "write": 0, "timeout": 0},
    )
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                with lock:
                    errors["read"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            with lock:
                latencies.append(time.perf_counter() - start)
                key = str(response.status)
                statuses[key] = statuses.get(key, 0) + 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile(fraction):
        if not latencies:
            return 0
        return int(
            latencies[min(len(latencies) - 1, int(len(latencies) * fraction))] * 1e6
        )

    return {
        "requests": len(latencies),
        "duration_us": int((time.monotonic() - started) * 1e6),
        "p50_us": percentile(0.5),
        "p99_us": percentile(0.99),
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
    rows,
):
    connections = connections or mode.connections
    summary = load(port, path, mode.duration, connections, headers)
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


def warm(port, paths, mode, headers=None):
    for path in paths:
        if mode.warmup >= 1:
            load(port, path, mode.warmup, mode.connections, headers)
        else:  # smoke: wrk takes whole seconds; a few requests warm each worker
            for _ in range(4 * mode.workers):
                fetch(port, path, headers)


def cold_pass(target, port, mode, deep_page, rows):
    """The first request to each page after a start with an empty cache."""
    paths = ["/"] + [f"/items?page={page}" for page in range(1, mode.cold_pages + 1)]
    paths += [f"/items?page={deep_page}", f"/api/items?page={mode.cold_pages + 1}"]
    latencies, queries, failures = [], [], 0
    for path in paths:
        start = time.perf_counter()
        status, headers, _ = fetch(port, path)
        latencies.append(time.perf_counter() - start)
        failures += status != 200
        queries.append(queries_from(headers) or "?")
    mean = statistics.fmean(latencies)
    row = Row(
        target,
        "cold first pass",
        f"{len(paths)} distinct pages",
        rps=1 / mean,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=max(latencies) * 1000,
        errors=failures,
        statuses={200: len(paths) - failures},
        connections=1,
        queries="/".join(sorted(set(queries), key=lambda q: (len(q), q))),
        note="sequential, 1 connection; p99 column = slowest",
        failed=failures > 0,
    )
    log(f"{target:>22} cold pass: mean {mean * 1000:.1f} ms, queries {row.queries}")
    rows.append(row)


def page_workloads(target, port, mode, deep_page, rows, conditional=True):
    """Warm pages, deep page, API, and the conditional GET when there is an ETag."""
    pages = {
        "/": "/ warm",
        "/items?page=1": "/items warm",
        f"/items?page={deep_page}": "/items deep",
        "/api/items": "/api/items",
    }
    warm(port, pages, mode)
    for path, workload in pages.items():
        measure(target, workload, port, path, mode, rows=rows)
    _, headers, _ = fetch(port, "/items?page=1")
    etag = headers.get("etag")
    if not conditional:
        return
    if etag is None:
        rows.append(
            Row(
                target,
                "304 revalidate",
                "/items?page=1",
                note="no ETag sent: not measured",
            )
        )
        log(f"{target:>22} 304 revalidate: no ETag, skipped")
        return
    if fetch(port, "/items?page=1", {"If-None-Match": etag})[0] != 304:
        rows.append(
            Row(
                target,
                "304 revalidate",
                "/items?page=1",
                failed=True,
                note=f"ETag {etag} sent but If-None-Match did not give 304",
            )
        )
        return
    measure(
        target,
        "304 revalidate",
        port,
        "/items?page=1",
        mode,
        headers={"If-None-Match": etag},
        expected=(304,),
        rows=rows,
    )


# ------------------------------------------------------------------- targets


def bench_baseline(mode, python, deep_page, rows):
    env = dict(
        os.environ,
        DATABASE_URL=PG + mode.database,
        PYTHONPATH=str(BASELINE),
        UPSTREAM="",
    )
    port = free_port()
    cmd = [python.parent / "pserve", BASELINE / "production.ini", f"http_port={port}"]
    with Server("baseline", cmd, env, BASELINE, port):
        cold_pass("baseline", port, mode, deep_page, rows)
        page_workloads("baseline", port, mode, deep_page, rows, conditional=False)
        rows.append(
            Row(
                "baseline",
                "304 revalidate",
                "/items?page=1",
                note="no validators: every GET is a full 200",
            )
        )


def bench_project(mode, combo, project, env, deep_page, rows):
    port = free_port()
    env = dict(env, PORT=str(port))
    cmd = ["make", "-C", project, "serve", f"PORT={port}"]
    if COMBOS[combo].get("cache_backend") == "redis":
        flush_redis(mode.redis_url)
    with Server(combo, cmd, env, project, port, ready_path="/healthz"):
        cold_pass(combo, port, mode, deep_page, rows)
        page_workloads(combo, port, mode, deep_page, rows)
        return {path: fetch(port, path)[2].decode() for path in ("/", "/items?page=1")}


def bench_ceiling(mode, project, pages, rows):
    venv_bin = project / ".venv/bin"
    pages_file = BUILD / "ceiling-pages.json"
    pages_file.write_text(json.dumps(pages))
    env = dict(os.environ, PYTHONPATH=str(APPS), CEILING_PAGES=str(pages_file))
    for app, paths in (
        ("same_bytes", {"/": "/ warm", "/items?page=1": "/items warm"}),
        ("hello", {"/": "hello world"}),
        ("bare", {"/": "bare WSGI"}),
    ):
        port = free_port()
        cmd = granian_cmd(venv_bin, project, f"ceiling:{app}", mode, port)
        target = f"ceiling {app.replace('_', '-')}"
        with Server(target.replace(" ", "-"), cmd, env, APPS, port):
            warm(port, paths, mode)
            for path, workload in paths.items():
                row = measure(target, workload, port, path, mode, rows=rows)
                if app == "same_bytes":
                    row.note = f"{len(pages[path])} bytes, like the project's page"


def gunicorn_cmd(venv_bin, project, app, mode, port):
    """The project's production gunicorn settings (``serve.py``), pointed at ``app``."""
    options = server_options(venv_bin, project)
    return [
        venv_bin / "python",
        "-m",
        "gevent.monkey",
        "--module",
        "gunicorn",
        "--worker-class",
        options["worker_class"],
        "--worker-connections",
        options["worker_connections"],
        "--workers",
        mode.workers,
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]


IO_WORKLOADS = {
    "/io": ("I/O 50 ms", "view waits on a 50 ms upstream"),
    "/io-new-connection": (
        "I/O 50 ms, new conn.",
        "the same, opening a connection per call",
    ),
}


def bench_io(mode, baseline_python, threads_project, gevent_project, rows):
    upstream_port = free_port()
    upstream = Server(
        "upstream",
        [sys.executable, APPS / "upstream.py", upstream_port, "0.05"],
        dict(os.environ),
        APPS,
        upstream_port,
        ready_path="/",
    )
    try:
        env = dict(
            os.environ,
            UPSTREAM=f"127.0.0.1:{upstream_port}",
            PYTHONPATH=f"{APPS}{os.pathsep}{BASELINE}",
            PROJECT_PACKAGE=REPO_NAME,
            WEB_CONCURRENCY=str(mode.workers),
        )
        port = free_port()
        servers = [
            (
                "baseline",
                port,
                [
                    baseline_python.parent / "pserve",
                    BASELINE / "production.ini",
                    f"http_port={port}",
                ],
                BASELINE,
                ["/io"],
            )
        ]
        for project, command in (
            (threads_project, granian_cmd),
            (gevent_project, gunicorn_cmd),
        ):
            if project:
                port = free_port()
                cmd = command(project / ".venv/bin", project, "io_app:app", mode, port)
                target = project.parent.name
                servers.append((target, port, cmd, APPS, list(IO_WORKLOADS)))
        for target, port, cmd, cwd, paths in servers:
            with Server(
                f"io-{target}",
                cmd,
                dict(env, PORT=str(port)),
                cwd,
                port,
                ready_path="/io",
            ):
                for path in paths:
                    warm(port, [path], mode)
                    workload, note = IO_WORKLOADS[path]
                    row = measure(
                        target,
                        workload,
                        port,
                        path,
                        mode,
                        connections=mode.io_connections,
                        rows=rows,
                    )
                    row.note = note
    finally:
        upstream.stop()


# ------------------------------------------------------------------ profile


def profile_items(project, env, results):
    """pyinstrument over warm /items?page=1 requests, in process."""
    script = APPS / "profile_items.py"
    out = subprocess.run(
        [project / ".venv/bin/python", script, REPO_NAME, results / "profile-items"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    log("profile: " + out.strip().replace("\n", " | "))
    return out


# ------------------------------------------------------------------- report


def ratio(value, reference):
    if not (value and reference):
        return ""
    return f"{value / reference:.3g}x"


def report(rows, mode, started, elapsed, profile_text):
    by_key = {(row.target, row.workload): row for row in rows}
    lines = [
        f"# pyramid-fast benchmark ({mode.name})",
        "",
        f"Measured {started} in {elapsed:.0f} s on {machine()}.",
        f"Load: wrk, {mode.duration:g} s per row, {mode.connections} connections "
        f"({mode.io_connections} for the I/O rows), {mode.workers} server workers; "
        f"{mode.items} seeded items, 50 per page.",
        "Ratios compare requests/s with the baseline's row for the same workload "
        "and with the same-bytes Pyramid ceiling for the same page.",
        "",
        "| target | workload | req/s | p50 ms | p99 ms | errors | queries/req "
        "| vs baseline | vs ceiling | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        base = by_key.get(("baseline", row.workload))
        ceiling = by_key.get(("ceiling same-bytes", row.workload))
        if row.workload in ("304 revalidate",) and not base:
            base = None
        if row.workload == "304 revalidate":
            ceiling = by_key.get(("ceiling same-bytes", "/items warm"))
            base = by_key.get(("baseline", "/items warm"))
        if row.workload.startswith("I/O"):  # the baseline makes one kind of call
            base = by_key.get(("baseline", "I/O 50 ms"))
        vs_base = ratio(row.rps, base.rps) if base and row.target != "baseline" else ""
        vs_ceiling = (
            ratio(row.rps, ceiling.rps)
            if ceiling and not row.target.startswith("ceiling")
            else ""
        )
        rps = f"{row.rps:,.0f}" if row.rps else "n/a"
        lines.append(
            f"| {row.target} | {row.workload} | {rps} | "
            f"{row.p50_ms:.2f} | {row.p99_ms:.2f} | {row.errors} | {row.queries} | "
            f"{vs_base} | {vs_ceiling} | {'FAILED ' if row.failed else ''}{row.note} |"
        )
    lines += [
        "",
        "Statuses per row are in results.json. The 304 row's ratios compare "
        "with `/items warm` (baseline: a full 200 page).",
        "",
    ]
    if profile_text:
        lines += [
            "## Profile of warm `/items?page=1` (redis-pg-threads, in process)",
            "",
            "```",
            profile_text.strip(),
            "```",
            "",
        ]
    return "\n".join(lines)


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


# --------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    args = parser.parse_args(argv)
    mode = SMOKE if args.smoke else FULL
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    started = time.monotonic()
    mode.results.mkdir(parents=True, exist_ok=True)
    deep_page = mode.items // 50 - 10

    tools_python = tools_venv()
    base_python = baseline_venv()
    ensure_database(mode.database)
    projects = {}
    for combo in args.combos:
        project = bake(tools_python, combo)
        env = project_env(mode, combo, project)
        setup_project(mode, combo, project, env)
        projects[combo] = (project, env)
    if not any("database" in COMBOS[combo] for combo in projects):
        setup_baseline_database(mode, *next(iter(projects.values())))

    rows = []
    bench_baseline(mode, base_python, deep_page, rows)
    pages = None
    for combo, (project, env) in projects.items():
        captured = bench_project(mode, combo, project, env, deep_page, rows)
        if pages is None or combo == "redis-pg-threads":
            pages = captured
    threads_combo = next(
        (c for c in projects if COMBOS[c].get("concurrency") != "gevent"), None
    )
    gevent_combo = next(
        (c for c in projects if COMBOS[c].get("concurrency") == "gevent"), None
    )
    ceiling_combo = (
        "redis-pg-threads" if "redis-pg-threads" in projects else threads_combo
    )
    if ceiling_combo:
        bench_ceiling(mode, projects[ceiling_combo][0], pages, rows)
    bench_io(
        mode,
        base_python,
        projects[ceiling_combo][0] if ceiling_combo else None,
        projects[gevent_combo][0] if gevent_combo else None,
        rows,
    )
    profile_text = ""
    if ceiling_combo and not args.smoke:
        profile_text = profile_items(*projects[ceiling_combo], mode.results)

    elapsed = time.monotonic() - started
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
    run(
        [
            tools_python,
            HERE / "chart.py",
            mode.results / "results.json",
            mode.results / "results.png",
        ]
    )
    failed = [row for row in rows if row.failed]
    log(f"done in {elapsed:.0f}s: {mode.results / 'results.md'}")
    for row in failed:
        log(f"FAILED: {row.target} {row.workload}: {row.statuses} {row.note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
