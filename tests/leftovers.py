"""Processes left running under a directory: listed, killed, and a failure.

``python -m tests.leftovers DIR`` after ``make test-topology``: every server
the topology tests start (app hosts, nginx, redis-server, memcached) runs in,
or names, a directory under ``DIR``. Whatever is still there once the tests
are done, passed or failed, was not torn down: it is killed by its process id
and the command exits 1.
"""

import contextlib
import os
import signal
import sys
from pathlib import Path


def under(directory):
    """``(pid, command line)`` of the processes whose working directory or
    command line lies under ``directory``."""
    root = str(Path(directory).resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if cwd.startswith(root) or root in command:
            found.append((int(entry.name), command.strip()))
    return found


def main(directory):
    left = under(directory)
    for pid, command in left:
        print(f"left running, killed: {pid} {command}", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            os.kill(pid, signal.SIGKILL)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
