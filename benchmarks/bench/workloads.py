"""What is measured on each target: the cold first pass, the warm pages, the
conditional GET, reads while writes land, the ceiling apps, the I/O-bound
view, and the in-process profile. Every function appends its rows to ``rows``."""

import json
import os
import statistics
import subprocess
import sys
import time

from .config import APPS, BASELINE, BUILD, HOST, PG, REPO_NAME
from .load import Row, load, measure, queries_from
from .servers import (
    Server,
    app_server_cmd,
    baseline_cmd,
    fetch,
    free_port,
    start_project,
)
from .shell import log
from .writer import Writer

WARM_REQUESTS_PER_WORKER = 4  # smoke mode: requests that warm each worker
ITEMS = "/items?page=1"
ITEMS_WARM = "/items warm"
ITEMS_COLD = "/items cold"
# Nothing cached (no stored page, no cached data): every request runs the
# queries and renders the page. Compared with the same-work ceiling.
COLD_ENV = {"PAGE_CACHE": "0", "CACHE_URL": "none://"}
REVALIDATE = "304 revalidate"
READ_PAGES = 20  # list pages the mixed rows read in turn (/items?page=1..20)
READ_ONLY = f"{READ_PAGES} pages read-only"
UPSTREAM_DELAY_MS = 50  # the local upstream's answer time for the I/O rows
IO = f"I/O {UPSTREAM_DELAY_MS} ms"
IO_WORKLOADS = {  # path in apps/io_app.py: (workload, note)
    "/io": (IO, f"view waits on a {UPSTREAM_DELAY_MS} ms upstream"),
    "/io-new-connection": (
        f"{IO}, new conn.",
        "the same, opening a connection per call",
    ),
}
CEILING_APPS = {  # name: (module:app in apps/, {path: workload})
    "bare_same_bytes": ("ceiling:bare_same_bytes", {"/": "/ warm", ITEMS: ITEMS_WARM}),
    "same_bytes": ("ceiling:same_bytes", {"/": "/ warm", ITEMS: ITEMS_WARM}),
    "same_work": ("same_work:app", {ITEMS: ITEMS_COLD}),
    "hello": ("ceiling:hello", {"/": "hello world"}),
    "bare": ("ceiling:bare", {"/": "bare WSGI"}),
}
SAME_BYTES = "same_bytes"  # the ceiling app serving the project's own page bytes
# The ceiling a project's row is compared with: the first that measured it.
CEILINGS = ("bare_same_bytes", "same_work", SAME_BYTES)
BASELINE_TARGET = "baseline"


def ceiling_target(app, gevent=False):
    """``ceiling same-bytes``; on the gevent project's server, ``... on gevent``."""
    name = f"ceiling {app.replace('_', '-')}"
    return f"{name} on gevent" if gevent else name


def warm(port, paths, mode, headers=None):
    for path in paths:
        if mode.warmup >= 1:
            load(port, path, mode.warmup, mode.connections, headers)
        else:  # smoke: wrk takes whole seconds; a few requests warm each worker
            for _ in range(WARM_REQUESTS_PER_WORKER * mode.workers):
                fetch(port, path, headers)


def cold_pass(target, port, mode, rows):
    """The first request to each page after a start with an empty cache."""
    paths = ["/"] + [f"/items?page={page}" for page in range(1, mode.cold_pages + 1)]
    paths += [f"/items?page={mode.deep_page}", f"/api/items?page={mode.cold_pages + 1}"]
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


def page_workloads(target, port, mode, rows, conditional=True):
    """Warm pages, deep page, API, and the conditional GET when there is an ETag."""
    pages = {
        "/": "/ warm",
        ITEMS: ITEMS_WARM,
        f"/items?page={mode.deep_page}": "/items deep",
        "/api/items": "/api/items",
    }
    warm(port, pages, mode)
    for path, workload in pages.items():
        measure(target, workload, port, path, mode, rows=rows)
    _, headers, _ = fetch(port, ITEMS)
    etag = headers.get("etag")
    if not conditional:
        return
    if etag is None:
        rows.append(Row(target, REVALIDATE, ITEMS, note="no ETag sent: not measured"))
        log(f"{target:>22} {REVALIDATE}: no ETag, skipped")
        return
    if fetch(port, ITEMS, {"If-None-Match": etag})[0] != 304:
        note = f"ETag {etag} sent but If-None-Match did not give 304"
        rows.append(Row(target, REVALIDATE, ITEMS, failed=True, note=note))
        return
    measure(
        target,
        REVALIDATE,
        port,
        ITEMS,
        mode,
        headers={"If-None-Match": etag},
        expected=(304,),
        rows=rows,
    )


def mixed_label(rate):
    return f"{READ_PAGES} pages + {rate:g} writes/s"


def mixed_workloads(target, port, mode, rows):
    """Reads over 20 list pages, alone and while items are created at each of
    ``mode.write_rates``: the share of the read rate the writes leave.

    The read-only row is measured before and after the write rows; each write
    row is compared with their mean, in its note.
    """
    paths = [f"/items?page={page}" for page in range(1, READ_PAGES + 1)]
    for path in paths:  # every page stored before the first row
        fetch(port, path)
    listing = json.loads(fetch(port, "/api/items")[2])
    category_id = listing["items"][0]["category"]["id"]
    read_only = [
        measure(target, READ_ONLY, port, paths[0], mode, rotate=paths, rows=rows)
    ]
    mixed = []
    for rate in mode.write_rates:
        with Writer(port, rate, category_id) as writes:
            row = measure(
                target, mixed_label(rate), port, paths[0], mode, rotate=paths, rows=rows
            )
        row.note = f"{writes.made} writes, {writes.failed} failed"
        if writes.behind:
            row.note += f", {writes.behind} over 1 s late"
        if writes.error or writes.failed or not writes.made:
            row.failed = True
            row.note += f"; writer: {writes.error or 'writes failed'}"
        mixed.append(row)
    read_only.append(
        measure(target, READ_ONLY, port, paths[0], mode, rotate=paths, rows=[])
    )
    reference = statistics.fmean(row.rps for row in read_only)
    read_only[0].note = (
        f"{read_only[0].rps:,.0f} before and {read_only[1].rps:,.0f} req/s "
        "after the write rows; their mean is the reference"
    )
    for row in mixed:
        row.note = f"{row.rps / reference:.2f}x of read-only; {row.note}"
    log(f"{target:>22} mixed: " + ", ".join(row.note for row in mixed))


# ------------------------------------------------------------------ targets


def bench_baseline(mode, python, rows):
    env = dict(os.environ, PYTHONPATH=str(BASELINE), UPSTREAM="")
    env["DATABASE_URL"] = PG + mode.database
    port = free_port()
    with Server(BASELINE_TARGET, baseline_cmd(python, port), env, BASELINE, port):
        cold_pass(BASELINE_TARGET, port, mode, rows)
        page_workloads(BASELINE_TARGET, port, mode, rows, conditional=False)
        note = "no validators: every GET is a full 200"
        rows.append(Row(BASELINE_TARGET, REVALIDATE, ITEMS, note=note))


def bench_project(mode, combo, project, env, rows):
    """The project's rows; returns the bytes of ``/`` and ``/items?page=1``."""
    with start_project(combo, combo, project, env, mode.redis_url) as server:
        cold_pass(combo, server.port, mode, rows)
        page_workloads(combo, server.port, mode, rows)
        pages = {path: fetch(server.port, path)[2].decode() for path in ("/", ITEMS)}
        warm_port = server.port
        mixed_workloads(combo, server.port, mode, rows)  # writes: after the capture
    cold_env = dict(env, **COLD_ENV)
    name = f"{combo}-cold"
    with start_project(name, combo, project, cold_env, mode.redis_url) as server:
        warm(server.port, [ITEMS], mode)
        row = measure(combo, ITEMS_COLD, server.port, ITEMS, mode, rows=rows)
        row.note = "page and data caches off: queries and render every request"
        # The same page but for its links, which name the server's port.
        cold_page = fetch(server.port, ITEMS)[2].decode()
        if cold_page.replace(f":{server.port}/", f":{warm_port}/") != pages[ITEMS]:
            row.failed, row.note = True, "the cold page differs from the warm page"
    return pages


def bench_ceiling(mode, project, env, pages, rows, gevent=False):
    """The project's page bytes from a bare WSGI callable and from Pyramid, the
    same queries with those bytes (same work), hello world, bare WSGI, on the
    project's production server. On a gevent project's server (``gevent``),
    only the ceilings its rows are compared with."""
    pages_file = BUILD / "ceiling-pages.json"
    pages_file.write_text(json.dumps(pages))
    env = dict(env, PYTHONPATH=str(APPS), CEILING_PAGES=str(pages_file))
    apps = {app: CEILING_APPS[app] for app in CEILINGS} if gevent else CEILING_APPS
    for app, (spec, paths) in apps.items():
        port = free_port()
        cmd = app_server_cmd(project, spec, mode, port)
        target = ceiling_target(app, gevent)
        with Server(target.replace(" ", "-"), cmd, env, APPS, port):
            warm(port, paths, mode)
            for path, workload in paths.items():
                row = measure(target, workload, port, path, mode, rows=rows)
                if app in CEILINGS:
                    row.note = f"{len(pages[path])} bytes, like the project's page"


def bench_io(mode, baseline_python, projects, rows):
    """The I/O-bound view on the baseline and on each project's production server."""
    upstream_port = free_port()
    upstream = Server(
        "upstream",
        [sys.executable, APPS / "upstream.py", upstream_port, UPSTREAM_DELAY_MS / 1000],
        dict(os.environ),
        APPS,
        upstream_port,
        ready_path="/",
    )
    try:
        env = dict(
            os.environ,
            UPSTREAM=f"{HOST}:{upstream_port}",
            PYTHONPATH=f"{APPS}{os.pathsep}{BASELINE}",
            PROJECT_PACKAGE=REPO_NAME,
            WEB_CONCURRENCY=str(mode.workers),
        )
        port = free_port()
        servers = [
            (
                BASELINE_TARGET,
                port,
                baseline_cmd(baseline_python, port),
                BASELINE,
                ["/io"],
            )
        ]
        for project in projects:
            port = free_port()
            cmd = app_server_cmd(project, "io_app:app", mode, port)
            target = project.parent.name
            servers.append((target, port, cmd, APPS, list(IO_WORKLOADS)))
        for target, port, cmd, cwd, paths in servers:
            server_env = dict(env, PORT=str(port))
            with Server(f"io-{target}", cmd, server_env, cwd, port, ready_path="/io"):
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
