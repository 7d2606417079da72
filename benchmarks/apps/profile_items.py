"""pyinstrument over warm ``/items?page=1`` requests, in process.

``python profile_items.py PACKAGE OUTPUT_PREFIX`` from the project directory,
with the production environment (APP_INI, SECRET_KEY, DATABASE_URL...).
Writes OUTPUT_PREFIX.txt (call tree) and .html, and prints the top self-time
functions.
"""

import importlib
import sys

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer
from webob import Request

REQUESTS = 20_000  # a warm hit is tens of microseconds: enough samples


def main(package, prefix):
    app = importlib.import_module(f"{package}.wsgi").app

    def get():
        response = Request.blank("/items?page=1").get_response(app)
        assert response.status_int == 200, response.status

    for _ in range(50):
        get()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(REQUESTS):
        get()
    profiler.stop()
    tree = profiler.output(ConsoleRenderer(unicode=False, color=False))
    flat = profiler.output(
        ConsoleRenderer(unicode=False, color=False, flat=True, time="percent_of_total")
    )
    with open(prefix + ".txt", "w") as out:
        out.write(f"{REQUESTS} warm requests to /items?page=1 (WebOb in process)\n\n")
        out.write("Top functions by self time:\n" + flat + "\n\nCall tree:\n" + tree)
    with open(prefix + ".html", "w") as out:
        out.write(profiler.output_html())
    top = [line for line in flat.splitlines() if "%" in line][:12]
    per_request = profiler.last_session.duration / REQUESTS * 1e6
    print(f"{per_request:.0f} us per request in process; top self time:")
    print("\n".join(top))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
