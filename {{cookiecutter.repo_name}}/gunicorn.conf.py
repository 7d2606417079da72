"""gunicorn settings for the gevent worker.

Used as ``gunicorn -c gunicorn.conf.py --paste production.ini`` (``make serve``).
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '6543')}"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gevent"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
graceful_timeout = 20
accesslog = None
