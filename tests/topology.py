"""Two app hosts behind nginx, on this machine's loopback range.

Each host is a baked project in a working directory of its own, with its own
venv, serving ``production.ini`` with the production command on its own
address (127.0.0.2, 127.0.0.3): what two machines would run. They share only
what two machines would share: PostgreSQL, the cache server and the
``SECRET_KEY``. nginx (Debian's) listens on 127.0.0.1 and balances across
them, retrying a request on the other host when one fails before answering.

Everything started here is stopped on the way out (context managers), and a
host is a process group: killing it kills its workers too.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .server import free_port, install, server_command, wait_for

HOST_ADDRESSES = ("127.0.0.2", "127.0.0.3")
BALANCER = "127.0.0.1"

NGINX_CONF = """
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    upstream app {{
{servers}
    }}
    server {{
        listen {balancer}:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # The hosts trust the balancer's address (FORWARDED_ALLOW_IPS).
            proxy_bind {balancer};
            # A dead host refuses at once; a hung one costs this much per try.
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            # Retry on the other host when one fails before answering. nginx
            # never retries a POST once it was sent (it may have been done).
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 2;
        }}
    }}
}}
"""
# After one failure a host is left out for this long, then tried again.
FAIL_TIMEOUT = 5


class AppHost:
    """One baked project served from its own directory on its own address."""

    def __init__(self, project, directory, address, env):
        self.directory = directory / project.name
        shutil.copytree(project, self.directory, ignore=shutil.ignore_patterns(".venv"))
        self.address = address
        self.port = free_port()
        self.env = {**env, "HOST": address, "PORT": str(self.port)}
        self.bin = None
        self.process = None
        self.log = None

    def install(self):
        self.bin = install(self.directory)
        return self

    def run(self, *command):
        """A project command in this host's directory and environment."""
        subprocess.run(
            [self.bin / command[0], *command[1:]],
            cwd=self.directory,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self):
        self.log = (self.directory / "server.log").open("ab")
        self.process = subprocess.Popen(
            server_command(self.bin / "python", self.directory.name),
            cwd=self.directory,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes workers
        )
        wait_for(self.port, self.process, host=self.address)
        return self

    def kill(self):
        """The host dies at once: SIGKILL to the server and all its workers."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):  # nothing left in it
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.log:
            self.log.close()
            self.log = None

    def stop(self):
        """Graceful (SIGTERM to the group), then whatever is left is killed."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        self.kill()

    def output(self, limit=3000):
        return (self.directory / "server.log").read_text(errors="replace")[-limit:]


class Nginx:
    """nginx in the foreground on ``BALANCER``, balancing across ``hosts``."""

    def __init__(self, directory, hosts):
        self.directory = directory
        self.port = free_port()
        self.hosts = hosts
        self.out = set()  # hosts marked down: no new requests
        self.process = None

    def config(self):
        servers = "\n".join(
            f"        server {host.address}:{host.port} "
            f"max_fails=1 fail_timeout={FAIL_TIMEOUT}s"
            + (" down;" if host in self.out else ";")
            for host in self.hosts
        )
        # nginx started as root runs its workers as nobody unless told.
        user = "user root;" if os.geteuid() == 0 else ""
        return NGINX_CONF.format(
            directory=self.directory,
            user=user,
            servers=servers,
            balancer=BALANCER,
            port=self.port,
        )

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return set(children.read_text().split())

    def reload(self):
        """Apply the configuration; return once the old workers have finished
        their requests and exited (only new ones, with it, are left)."""
        old = self.workers()
        (Path(self.directory) / "nginx.conf").write_text(self.config())
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while old & self.workers():
            assert time.monotonic() < deadline, "nginx did not reload"
            time.sleep(0.05)

    def take_out(self, host):
        """Before stopping a host (a deploy): no request goes to it any more."""
        self.out.add(host)
        self.reload()

    def put_back(self, host):
        self.out.discard(host)
        self.reload()

    def __enter__(self):
        path = Path(self.directory) / "nginx.conf"
        path.write_text(self.config())
        self.process = subprocess.Popen(
            [
                shutil.which("nginx") or "/usr/sbin/nginx",
                *("-c", str(path), "-p", str(self.directory)),
                *("-e", str(Path(self.directory) / "error.log")),
                *("-g", "daemon off;"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(self.port, self.process, timeout=30, host=BALANCER)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        if self.process.poll() is None:
            self.process.terminate()  # nginx stops its workers on SIGTERM
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def errors(self):
        return (Path(self.directory) / "error.log").read_text(errors="replace")
