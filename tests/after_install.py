"""What the run tier checks on an installed project besides its own suite.

Each helper takes a baked project whose ``.venv`` ``make test`` has built, and
the environment the run tier gives it:

* ``assert_serve_writes_no_rows``: ``make serve`` on an empty database
  migrates it and serves, and leaves every table empty (it never seeds).
* ``assert_switch_works``: the README's "switch later" for a cache backend or
  the database is a setting plus an extra (``pip install -e '.[redis]'``).
* ``assert_example_removable``: ``make remove-example``, then the project's
  own ``make test`` and ``make lint`` pass without the example.
* ``assert_lock_installs``: ``make lock`` pins everything; the install targets
  then install the locked versions (an older pin included), and tests pass.
"""

import contextlib
import json
import os
import re
import signal
import subprocess

from .server import free_port, wait_for

TIMEOUT = 900


def make(project, *targets, env, **variables):
    result = subprocess.run(
        ["make", *targets, *(f"{name}={value}" for name, value in variables.items())],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def row_counts(project, database_url):
    """``{table: rows}`` of every table but Alembic's, read in the project's venv."""
    script = (
        "import json, sys; from sqlalchemy import create_engine, inspect, text; "
        "engine = create_engine(sys.argv[1]); "
        "names = [n for n in inspect(engine).get_table_names() "
        "if n != 'alembic_version']; "
        "c = engine.connect(); "
        "print(json.dumps({n: c.execute(text(f'SELECT count(*) FROM {n}')).scalar() "
        "for n in names}))"
    )
    done = subprocess.run(
        [project / ".venv" / "bin" / "python", "-c", script, database_url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def assert_serve_writes_no_rows(project, env, database_url):
    port = free_port()
    serve_env = {
        **env,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    serve_env.pop("SECRET_KEY", None)  # make serve keeps one in .secret_key
    process = subprocess.Popen(
        ["make", "serve"],
        cwd=project,
        env=serve_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(port, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            _, errors = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # a worker slow to stop: not checked here
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            _, errors = process.communicate(timeout=30)
    counts = row_counts(project, database_url)
    assert counts and set(counts.values()) == {0}, counts
    assert "SECRET_KEY not set: using the key made in .secret_key" in errors
    assert (project / ".secret_key").stat().st_mode & 0o077 == 0


def assert_switch_works(project, env, extra, **test_environ):
    """``pip install -e '.[extra]'`` (as the README says), then the project's
    data-set and health tests against the other backend."""
    make(project, ".venv/.installed-" + extra, env=env)
    result = subprocess.run(
        [
            project / ".venv" / "bin" / "python",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_datasets.py",
            "tests/test_health.py",
        ],
        cwd=project,
        env={**env, **test_environ, "REQUIRE_SERVICES": "1"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "skipped" not in output, output[-2000:]


def assert_example_removable(project, env):
    output = make(project, "remove-example", env=env)
    assert f"removed {project.name}/catalog" in output
    assert not (project / project.name / "catalog").exists()
    make(project, "test", env=env, PYTEST_ARGS="-q -p no:cacheprovider")
    make(project, "lint", env=env)


# A locked version older than the newest release, written into the lock as if
# it had been made earlier: the install must downgrade to it.
OLDER_PIN = ("orjson", "3.10.7")


LOCKED_TESTS = ("tests/test_cache.py", "tests/test_health.py", "tests/test_datasets.py")


def installed_version(project, name):
    done = subprocess.run(
        [
            project / ".venv" / "bin" / "python",
            "-c",
            f"import importlib.metadata as m; print(m.version({name!r}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def assert_lock_installs(project, env):
    make(project, "lock", env=env)
    lock = (project / "requirements.lock").read_text()
    pins = dict(re.findall(r"(?m)^([A-Za-z0-9_.-]+)==(\S+)", lock))
    assert {"pyramid", "ruff", "pytest", "webtest"} <= pins.keys(), lock[:2000]
    name, older = OLDER_PIN
    assert pins[name] != older
    pinned = re.sub(rf"(?m)^{name}==.*$", f"{name}=={older}", lock)
    (project / "requirements.lock").write_text(pinned)
    make(project, ".venv/.installed-testing", env=env)
    assert installed_version(project, name) == older
    assert installed_version(project, "pyramid") == pins["pyramid"]
    result = subprocess.run(
        [
            ".venv/bin/python",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *LOCKED_TESTS,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
