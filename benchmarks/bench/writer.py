"""A client that creates items at a fixed rate while wrk reads: the write side
of the mixed read/write rows. One keep-alive connection, one thread; every
answer but 201 counts as a failed write."""

import http.client
import json
import threading
import time
from dataclasses import dataclass

from .config import HOST

WRITE_PATH = "/api/items"  # POST: the example's create (views/api.py)
TIMEOUT = 10  # seconds for one write


@dataclass
class Writes:
    made: int = 0
    failed: int = 0
    behind: int = 0  # writes started over a second late (the writer fell behind)
    error: str = ""  # the exception that stopped the writer, if any


class Writer:
    """``with Writer(port, rate, category_id) as writes:`` writes until it ends."""

    def __init__(self, port, rate, category_id):
        self.port, self.rate, self.category_id = port, rate, category_id
        self.writes = Writes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self.writes

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(TIMEOUT + 5)

    def _run(self):
        try:
            self._write_on_schedule()
        except Exception as error:  # reported in the row, never a crashed run
            self.writes.error = f"{type(error).__name__}: {error}"

    def _write_on_schedule(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        started = time.monotonic()
        try:
            while True:
                due = started + self.writes.made / self.rate
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    return
                if time.monotonic() - due > 1:
                    self.writes.behind += 1
                self._write(conn, self.writes.made)
        finally:
            conn.close()

    def _write(self, conn, number):
        body = json.dumps(
            {
                "name": f"bench write {number}",
                "price_cents": 100 + number,
                "category_id": self.category_id,
                "tags": ["bench"],
            }
        )
        conn.request("POST", WRITE_PATH, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        self.writes.made += 1
        self.writes.failed += response.status != 201
