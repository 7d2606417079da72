"""A throwaway PostgreSQL primary and hot-standby replica (streaming replication).

Made with the server binaries of the machine (Debian: ``/usr/lib/postgresql/<n>/bin``,
or ``PG_BIN``): ``initdb`` a primary, ``pg_basebackup -R`` a replica from it,
each on a free port and in a temporary directory, both removed on exit even
when a test fails (and at interpreter exit, should the context manager be
skipped). Tuned to start fast: no fsync, small buffers. As root, the servers
run as the ``postgres`` user (``initdb`` refuses root).

    with StreamingReplication() as pair:
        pair.primary.url, pair.replica.url   # postgresql+psycopg:// URLs
        pair.replica.execute("SELECT pg_wal_replay_pause()")
        pair.replica.stop(); pair.replica.start()

Without the binaries ``StreamingReplication()`` skips the test with the reason
(a failure under ``REQUIRE_SERVICES=1``).
"""

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

import psycopg

from .services import free_port, require

DATABASE = "app"
FAST = (
    "-c fsync=off -c full_page_writes=off -c shared_buffers=16MB"
    " -c max_connections=60 -c wal_receiver_status_interval=1s"
    " -c listen_addresses=127.0.0.1"
)


def server_binaries():
    """The directory holding initdb, pg_ctl and pg_basebackup, or None."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if directory and os.path.exists(os.path.join(directory, "pg_basebackup")):
            return directory
    return None


def server_user():
    """The OS user the servers run as: ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


class Server:
    """One PostgreSQL server (primary or replica) in its own directory and port."""

    def __init__(self, bin_dir, directory, user):
        self.bin_dir = bin_dir
        self.data = os.path.join(directory, "data")
        self.sockets = directory
        self.log = os.path.join(directory, "server.log")
        self.user = user
        self.port = free_port()

    @property
    def url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def dsn(self, database=DATABASE):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def run(self, program, *arguments):
        result = subprocess.run(
            [os.path.join(self.bin_dir, program), *arguments],
            capture_output=True,
            text=True,
            cwd=self.sockets,  # the server user may not enter ours
            user=self.user.pw_uid if self.user else None,
            group=self.user.pw_gid if self.user else None,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
            timeout=120,
        )
        if result.returncode != 0:
            log = ""
            if os.path.exists(self.log):
                with open(self.log) as file:
                    log = file.read()[-3000:]
            raise RuntimeError(
                f"{program} {' '.join(arguments)} failed:\n"
                f"{result.stdout}{result.stderr}\n{log}"
            )
        return result.stdout

    def start(self):
        options = f"-p {self.port} -c unix_socket_directories={self.sockets} {FAST}"
        self.run(
            "pg_ctl", "start", "-w", "-D", self.data, "-l", self.log, "-o", options
        )

    @property
    def running(self):
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def stop(self, mode="fast"):
        """Stop the server (``immediate``: as if it crashed)."""
        if self.running:
            self.run("pg_ctl", "stop", "-w", "-m", mode, "-D", self.data)

    def execute(self, sql, database=DATABASE):
        """Run ``sql`` (autocommit) and return its first row, if it has rows."""
        with psycopg.connect(self.dsn(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchone() if cursor.description else None


class StreamingReplication:
    """A primary and a hot standby streaming from it; see the module docstring."""

    def __init__(self):
        bin_dir = server_binaries()
        require(bin_dir, "PostgreSQL server binaries (initdb, pg_basebackup) not found")
        self.bin_dir = bin_dir
        self.user = server_user()
        self.directory = None
        self.primary = self.replica = None

    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix="pg-replication-")
        atexit.register(self.close)
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _server(self, name):
        directory = os.path.join(self.directory, name)
        os.mkdir(directory, 0o700)
        if self.user:
            os.chown(directory, self.user.pw_uid, self.user.pw_gid)
        return Server(self.bin_dir, directory, self.user)

    def _create(self):
        if self.user:  # the server user must reach its directories
            os.chmod(self.directory, 0o755)
        self.primary = self._server("primary")
        self.primary.run(
            *("initdb", "-D", self.primary.data, "-U", "postgres", "-A", "trust"),
            *("--no-sync", "-E", "UTF8"),
        )
        self.primary.start()
        self.primary.execute(f'CREATE DATABASE "{DATABASE}"', database="postgres")
        self.replica = self._server("replica")
        self.replica.run(
            *("pg_basebackup", "-D", self.replica.data, "-p", str(self.primary.port)),
            *("-h", "127.0.0.1", "-U", "postgres", "-R", "-X", "stream"),
            *("-c", "fast", "--no-sync"),
        )
        self.replica.start()
        self.wait_until_replayed()

    def wait_until_replayed(self, timeout=30.0):
        """Block until the replica has replayed everything the primary wrote."""
        (target,) = self.primary.execute("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while True:
            try:
                (caught_up,) = self.replica.execute(
                    f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
                )
            except psycopg.OperationalError:
                caught_up = False  # still starting
            if caught_up:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay up to {target}")
            time.sleep(0.02)

    def close(self):
        """Stop both servers (as a crash: nothing to keep) and delete their files."""
        for server in (self.replica, self.primary):
            if server is not None:
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    server.stop("immediate")
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        atexit.unregister(self.close)
