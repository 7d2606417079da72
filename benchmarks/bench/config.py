"""What a benchmark run is parameterised by: paths, services, the template
combinations it bakes, the project's tool modules and the two run modes."""

import os
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]  # benchmarks/
TEMPLATE = BENCHMARKS.parent
BUILD = BENCHMARKS / "build"
APPS = BENCHMARKS / "apps"
BASELINE = BENCHMARKS / "baseline"
REPO_NAME = "pyramid_fast_app"  # the template's default repo_name (its package)
APP_INI = "production.ini"  # the projects' and the baseline's settings file

# The project's tools, as modules of its package, run in its venv.
# ``<pkg>.<SERVE_MODULE>``: COMMAND (the production server's argv) and
# server_options(environ, cpu_count) (its settings).
SERVE_MODULE = "scripts.serve"
# ``python -m <pkg>.<SEED_MODULE> production.ini --items N``
SEED_MODULE = "scripts.seed"

HOST = "127.0.0.1"  # every server, service and load generator uses loopback
PG_USER = "postgres"  # trust authentication
PG_PORT = 5432
PG = f"postgresql+psycopg://{PG_USER}@{HOST}:{PG_PORT}/"
REDIS = f"redis://{HOST}:6379"
SECRET_KEY = "benchmark-only-secret-key-0123456789abcdef"
# Two runs at once (separate checkouts) need their own database and Redis
# databases: BENCH_DB_SUFFIX=_x and BENCH_REDIS_DBS=7,8 (full, smoke).
DB_SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")
FULL_REDIS_DB, SMOKE_REDIS_DB = os.environ.get("BENCH_REDIS_DBS", "5,6").split(",")

ITEMS_PER_PAGE = 50  # the projects' and the baseline's page size
DEEP_PAGE_FROM_END = 10  # the deep-page row reads this many pages before the last

COMBOS = {
    "default": {},
    "redis-pg-threads": {
        "cache_backend": "redis",
        "database": "postgresql",
        "concurrency": "threads",
    },
    "redis-pg-gevent": {
        "cache_backend": "redis",
        "database": "postgresql",
        "concurrency": "gevent",
    },
}
# The threads combination preferred for the ceiling, the I/O row and the profile.
REFERENCE_COMBO = "redis-pg-threads"


def revision(combo):
    """``default@4f2a1c0`` (``--before``: baked from that commit) -> ``4f2a1c0``."""
    return combo.partition("@")[2] or None


def answers(combo):
    """The template answers of ``combo``, whichever revision it is baked from."""
    return COMBOS[combo.partition("@")[0]]


def uses_redis(combo):
    return answers(combo).get("cache_backend") == "redis"


def uses_postgresql(combo):
    return "database" in answers(combo)


def uses_gevent(combo):
    return answers(combo).get("concurrency") == "gevent"


@dataclass(frozen=True)
class Mode:
    name: str
    duration: float  # seconds of load per measured row
    warmup: float  # seconds of load per page before it is measured (< 1: requests)
    connections: int  # concurrent connections for the page rows
    io_connections: int  # concurrent connections for the I/O rows
    items: int  # rows seeded into each database
    cold_pages: int  # /items pages requested in the cold first pass
    database: str  # PostgreSQL database (created when missing)
    redis_url: str  # Redis database, flushed before each Redis project
    results: Path
    write_rates: tuple  # items created per second in the mixed read/write rows
    workers: int = 2  # worker processes of every server

    @property
    def deep_page(self):
        return self.items // ITEMS_PER_PAGE - DEEP_PAGE_FROM_END


FULL = Mode(
    name="full",
    duration=8,
    warmup=2,
    connections=16,
    io_connections=200,
    items=10_000,
    cold_pages=10,
    database="bench" + DB_SUFFIX,
    redis_url=f"{REDIS}/{FULL_REDIS_DB}",
    results=BENCHMARKS / "results",
    write_rates=(1, 10),
)
SMOKE = Mode(
    name="smoke",
    duration=2,
    warmup=0,
    connections=4,
    io_connections=50,
    items=1_000,
    cold_pages=2,
    database="bench_smoke" + DB_SUFFIX,
    redis_url=f"{REDIS}/{SMOKE_REDIS_DB}",
    results=BUILD / "smoke-results",
    write_rates=(1,),
)
