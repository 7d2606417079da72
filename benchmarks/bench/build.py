"""Everything set up before a server starts: the harness's own virtualenvs,
the PostgreSQL database and Redis, baked projects installed, migrated and
seeded, and the environment each project runs with."""

import os
import shutil
import socket
import subprocess
import sys

from .config import (
    APP_INI,
    BASELINE,
    BUILD,
    HOST,
    PG,
    PG_USER,
    REPO_NAME,
    SECRET_KEY,
    SEED_MODULE,
    TEMPLATE,
    answers,
    revision,
    uses_postgresql,
    uses_redis,
)
from .shell import run

UV_FALLBACK = "/tmp/v/bin/uv"  # where a uv outside PATH may have been installed
TOOLS = ["cookiecutter>=2.7", "matplotlib"]  # bakes the template, draws the chart
PSQL = ["psql", "-h", HOST, "-U", PG_USER]
REDIS_TIMEOUT = 5  # seconds


# ------------------------------------------------------------------ venvs


def find_uv():
    for candidate in (shutil.which("uv"), UV_FALLBACK):
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
    return ensure_venv(BUILD / "venv-tools", TOOLS)


def baseline_venv():
    requirements = BASELINE / "requirements.txt"
    packages = [
        line.strip()
        for line in requirements.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return ensure_venv(BUILD / "venv-baseline", packages)


# --------------------------------------------------------------- services


def ensure_database(name):
    exists = subprocess.run(
        [*PSQL, "-tAc", f"select 1 from pg_database where datname = '{name}'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        run([*PSQL, "-qc", f"create database {name}"])


def flush_redis(url):
    host_port, db = url.removeprefix("redis://").split("/")
    host, port = host_port.split(":")
    with socket.create_connection((host, int(port)), timeout=REDIS_TIMEOUT) as sock:
        sock.sendall(f"SELECT {db}\r\nFLUSHDB\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            reply += sock.recv(100)
    if reply.count(b"+OK") != 2:
        raise RuntimeError(f"redis FLUSHDB failed: {reply!r}")


# --------------------------------------------------------------- projects


def template_at(commit):
    """The template as it was at ``commit`` (a ``git archive`` of this checkout)."""
    path = BUILD / "templates" / commit
    if not path.exists():
        path.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", TEMPLATE, "archive", "--format=tar", commit],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", path], input=archive, check=True)
    return path


def bake(tools_python, combo):
    commit = revision(combo)
    template = template_at(commit) if commit else TEMPLATE
    out = BUILD / "bakes" / combo.replace("@", "-at-")
    given = [f"{key}={value}" for key, value in answers(combo).items()]
    cookiecutter = tools_python.parent / "cookiecutter"
    # --overwrite-if-exists keeps the project's .venv between runs.
    run(
        [
            cookiecutter,
            "--no-input",
            "--overwrite-if-exists",
            template,
            "-o",
            out,
            *given,
        ]
    )
    return out / REPO_NAME


def database(mode, combo):
    """The PostgreSQL database of ``combo``: an earlier revision gets its own."""
    commit = revision(combo)
    return f"{mode.database}_{commit}" if commit else mode.database


def project_env(mode, combo, path):
    env = dict(
        os.environ,
        PATH=tool_path(),
        SECRET_KEY=SECRET_KEY,
        APP_INI=APP_INI,
        SERVER_TIMING="true",
        WEB_CONCURRENCY=str(mode.workers),
    )
    env.pop("VIRTUAL_ENV", None)
    if uses_postgresql(combo):
        env["DATABASE_URL"] = PG + database(mode, combo)
    else:
        sqlite = BUILD / f"{mode.name}-{combo.replace('@', '-at-')}.sqlite"
        env["DATABASE_URL"] = f"sqlite:///{sqlite}"
    if uses_redis(combo):
        env["CACHE_URL"] = mode.redis_url
    return env


def setup_project(mode, combo, project, env):
    # Install with the project's Makefile; migrate and seed directly (the same
    # commands as its migrate-% target) so --items can be passed.
    run(["make", "-C", project, ".venv/.installed-base"], env=env)
    if uses_postgresql(combo):
        ensure_database(database(mode, combo))
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


# The mixed read/write rows create items; the next run starts from the seeded
# ones only (the seed tops up, it never deletes).
DROP_BENCH_WRITES = """
import os, sys
from sqlalchemy import create_engine, text
seeded = {"n": int(sys.argv[1])}
with create_engine(os.environ["DATABASE_URL"]).begin() as db:
    db.execute(text("DELETE FROM item_tags WHERE item_id > :n"), seeded)
    db.execute(text("DELETE FROM items WHERE id > :n"), seeded)
"""


def migrate_and_seed(mode, project, env):
    venv_bin = project / ".venv/bin"
    run([venv_bin / "alembic", "-c", APP_INI, "upgrade", "head"], cwd=project, env=env)
    python = venv_bin / "python"
    run([python, "-c", DROP_BENCH_WRITES, mode.items], cwd=project, env=env)
    seed = [python, "-m", f"{REPO_NAME}.{SEED_MODULE}", APP_INI]
    run([*seed, "--items", mode.items], cwd=project, env=env)
