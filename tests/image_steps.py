"""The Dockerfile's steps, run on this host (no container engine here).

``deploy/app.sh install`` builds a fresh virtualenv with the project (not
editable), ``deploy/app.sh start`` migrates (SQLAlchemy projects) and starts
the production server from it, and ``deploy/app.sh health`` (the image's
HEALTHCHECK) fails before the server answers and passes once it does.
"""

import os
import secrets
import signal
import subprocess
import time

from .server import free_port


def health(project, env):
    command = [project / "deploy" / "app.sh", "health"]
    return subprocess.run(command, env=env, capture_output=True).returncode == 0


def assert_image_steps_serve(project, env, venv, **settings):
    script = project / "deploy" / "app.sh"
    env = {
        **env,
        "VENV": str(venv),
        "PORT": str(free_port()),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "SECRET_KEY": secrets.token_urlsafe(32),
        **settings,
    }
    subprocess.run([script, "install"], env=env, check=True, timeout=900)
    assert not health(project, env)  # nothing listens yet: the check can fail
    server = subprocess.Popen(
        [script, "start"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not health(project, env):
            assert server.poll() is None, server.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "deploy/app.sh start: never healthy"
            time.sleep(0.3)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)
