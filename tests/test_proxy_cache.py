"""The project's nginx config (deploy/nginx.conf) in front of its production server.

A baked project is installed and started on this host by ``deploy/app.sh``,
exactly as its Dockerfile does, and Debian's nginx runs the project's config
with only its addresses changed (the upstream, the listening port, the cache
directory). Then, counting ``X-Cache-Status``:

* public pages are answered by nginx (HIT) after the first request;
* per-user responses (the session's, requests with ``Authorization``, anything
  private, no-store or setting a cookie) are never HIT;
* a write shows once the stored page's ``max-age`` has run out, not before.

The project has no setting for the PUBLIC max-age (60 s), so the test waits
for the real one, doing its other checks meanwhile (about 70 s in all).
"""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from .conftest import REQUIRE_SERVICES, bake
from .server import free_port

pytestmark = pytest.mark.run

ANSWERS = {
    "cache_backend": "memory",
    "orm": "sqlalchemy",
    "database": "sqlite",
    "template_engine": "chameleon",
    "concurrency": "threads",
}
PUBLIC = ["/", "/items", "/items/1", "/api/items", "/api/items/1"]
REPEATS = 5
# The lines of deploy/nginx.conf that name addresses, and what they become here.
ADDRESSES = {
    "server app:6543;": "server 127.0.0.1:{app_port};",
    "listen 80;": "listen 127.0.0.1:{proxy_port};",
    "/var/cache/nginx/app": "{cache}",
}


def nginx_binary():
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if not found:
        if REQUIRE_SERVICES:
            pytest.fail("nginx is not installed (REQUIRE_SERVICES=1)")
        pytest.skip("nginx is not installed")
    return found


def nginx_config(project, work, app_port, proxy_port):
    """nginx.conf for this test: the project's file, addresses replaced."""
    site = (project / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    values = {"app_port": app_port, "proxy_port": proxy_port, "cache": work / "cache"}
    for line, replacement in ADDRESSES.items():
        assert site.count(line) == 1, line  # the config changed: update ADDRESSES
        site = site.replace(line, replacement.format(**values))
    (work / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = (
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {work / 'nginx.pid'};\nerror_log {work / 'error.log'};\n"
        + "worker_processes 1;\nevents {}\n"
        + f"http {{ access_log off; {temp} include {work / 'site.conf'}; }}\n"
    )
    (work / "nginx.conf").write_text(main, encoding="utf-8")
    return work / "nginx.conf"


def request(port, path, method="GET", headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def wait_healthy(project, env, process, timeout=120):
    """Until ``deploy/app.sh health`` (the image's HEALTHCHECK) passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        if (
            subprocess.run(
                [project / "deploy" / "app.sh", "health"], env=env, capture_output=True
            ).returncode
            == 0
        ):
            return
        time.sleep(0.3)
    raise AssertionError("the server did not become healthy")


class Tally:
    """X-Cache-Status per kind of request, and the invariant on every response."""

    def __init__(self):
        self.counts = {}

    def get(self, kind, port, path, headers=None):
        status, response_headers, body = request(port, path, headers=headers)
        cache_status = response_headers.get("X-Cache-Status", "-")
        self.counts.setdefault(kind, Counter())[cache_status] += 1
        cache_control = response_headers.get("Cache-Control", "")
        if (
            re.search(r"private|no-store|no-cache", cache_control)
            or response_headers.get("Set-Cookie")
            or (headers or {}).get("Authorization")
        ):
            assert cache_status != "HIT", (path, headers, response_headers)
        return status, response_headers, body


@pytest.fixture
def served(tmp_path):
    """A baked project installed and started by deploy/app.sh, nginx in front."""
    project = bake(tmp_path / "bake", repo_name="proxied", **ANSWERS)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # uv
    env.pop("VIRTUAL_ENV", None)
    app_port, proxy_port = free_port(), free_port()
    env.update(
        VENV=str(tmp_path / "venv"),
        PORT=str(app_port),
        HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
        SECRET_KEY=secrets.token_urlsafe(32),
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite'}",
    )
    script = project / "deploy" / "app.sh"
    subprocess.run([script, "install"], env=env, check=True, timeout=900)
    # The health check fails while nothing listens: it can fail.
    assert (
        subprocess.run([script, "health"], env=env, capture_output=True).returncode != 0
    )
    app = subprocess.Popen([script, "start"], env=env, start_new_session=True)
    nginx = None
    try:
        wait_healthy(project, env, app)
        seed = [
            env["VENV"] + "/bin/python",
            "-m",
            "proxied.scripts.seed",
            "production.ini",
            "--items",
            "20",
        ]
        subprocess.run(
            seed, cwd=project, env=env, check=True, capture_output=True, timeout=300
        )
        work = tmp_path / "nginx"
        work.mkdir()
        config = nginx_config(project, work, app_port, proxy_port)
        command = [nginx_binary(), "-e", str(work / "error.log"), "-c", str(config)]
        nginx = subprocess.Popen([*command, "-g", "daemon off;"])
        deadline = time.monotonic() + 10
        while True:
            try:
                request(proxy_port, "/healthz")
                break
            except OSError:
                log = "" if nginx.poll() is None else (work / "error.log").read_text()
                assert nginx.poll() is None, f"nginx exited: {log}"
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.1)
        yield proxy_port
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait(timeout=10)
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)


def test_nginx_shares_public_pages_only_and_honours_max_age(served):
    port = served
    tally = Tally()

    # Public pages: the first request fills the cache, the next ones are hits.
    stored_at = time.monotonic()
    for path in PUBLIC:
        for _ in range(REPEATS):
            status, headers, _ = tally.get("public", port, path)
            assert status == 200, path
    _, headers, home = tally.get("public", port, "/")
    max_age = int(re.search(r"max-age=(\d+)", headers["Cache-Control"]).group(1))
    stylesheet = re.search(rb'href="http://[^/"]+(/static/[^"]+\.css)"', home).group(1)
    for _ in range(REPEATS):
        tally.get("static", port, stylesheet.decode())
    assert tally.counts["public"] == {
        "MISS": len(PUBLIC),
        "HIT": len(PUBLIC) * (REPEATS - 1) + 1,
    }
    assert tally.counts["static"] == {"MISS": 1, "HIT": REPEATS - 1}

    # Per-user: the session (a cookie, no-store) and requests with credentials.
    _, headers, _ = tally.get("session", port, "/session")
    cookie = headers["Set-Cookie"].split(";")[0]
    for _ in range(REPEATS):
        status, headers, body = tally.get(
            "session", port, "/session", {"Cookie": cookie}
        )
        assert status == 200 and "no-store" in headers["Cache-Control"]
        cookie = headers["Set-Cookie"].split(";")[0]  # the session, updated
    visits = json.loads(body)["visits"]
    assert visits == REPEATS + 1  # every request reached the app
    for path in PUBLIC:
        tally.get("authorization", port, path, {"Authorization": "Bearer someone"})
    assert tally.counts["session"]["HIT"] == 0
    assert tally.counts["authorization"] == {"BYPASS": len(PUBLIC)}
    # ...and nothing they got was stored for others: still the first copy.
    tally.get("public", port, "/")
    assert tally.counts["public"]["HIT"] == len(PUBLIC) * (REPEATS - 1) + 2

    # A write: the stored home page stays until its max-age, then shows it.
    name = f"proxied {uuid.uuid4().hex[:8]}"
    body = json.dumps({"name": name, "price_cents": 100, "category_id": 1})
    status, _, _ = request(
        port, "/api/items", "POST", {"Content-Type": "application/json"}, body
    )
    assert status == 201
    written_at = time.monotonic()
    while True:
        status, headers, page = tally.get("after write", port, "/")
        if name.encode() in page:
            shown_after = time.monotonic() - stored_at
            break
        assert headers["X-Cache-Status"] == "HIT"
        assert time.monotonic() - stored_at < max_age + 5, "the write never showed"
        time.sleep(0.5)
    assert headers["X-Cache-Status"] in ("EXPIRED", "MISS")
    assert shown_after >= max_age - 1  # not before the page's max-age ran out
    print(
        f"\nproxy figures: max-age {max_age} s; write shown {shown_after:.1f} s after"
        f" the page was stored ({time.monotonic() - written_at:.1f} s after the write);"
        f" X-Cache-Status per kind: "
        + "; ".join(f"{kind} {dict(counts)}" for kind, counts in tally.counts.items())
    )
