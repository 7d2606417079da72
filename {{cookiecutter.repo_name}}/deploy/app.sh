#!/bin/sh
# The production install and start, in one place: the Dockerfile runs
#   deploy/app.sh install   (build stage: a virtualenv with the project, no dev tools)
#   deploy/app.sh start     (final stage: {% if cookiecutter.orm == "sqlalchemy" %}migrate, then {% endif %}the production server)
#   deploy/app.sh health    (HEALTHCHECK: exit 0 when /healthz answers 200)
# and so can any host: VENV=/srv/{{ cookiecutter.repo_name }}/venv deploy/app.sh install
#
# Environment: VENV (the virtualenv, default .venv), plus what production.ini
# and scripts/serve.py read (SECRET_KEY, DATABASE_URL, CACHE_URL, PORT, ...).
{%- if cookiecutter.orm == "sqlalchemy" %}
# MIGRATE=0 skips the migration: with several app machines, migrate from one.
{%- endif %}
set -eu
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

case "${1:-}" in
install)
    python3 -m venv "$VENV"
    # uv when installed (faster), else pip; not editable: the package,
    # its templates and static files are copied into the virtualenv.
    if command -v uv >/dev/null 2>&1; then
        uv pip install --quiet --python "$VENV/bin/python" .
    else
        "$VENV/bin/python" -m pip install --quiet --no-cache-dir .
    fi
    ;;
start)
{%- if cookiecutter.orm == "sqlalchemy" %}
    if [ "${MIGRATE:-1}" != 0 ]; then
        "$VENV/bin/alembic" -c production.ini upgrade head
    fi
{%- endif %}
    # The command make serve runs (scripts/serve.py); exec: signals reach it.
    exec "$VENV/bin/{{ cookiecutter.repo_name }}-serve"
    ;;
health)
    # With a Host the app accepts (the first of ALLOWED_HOSTS): others get 400.
    exec "$VENV/bin/python" -c '
import os, sys, urllib.request
host = (os.environ.get("ALLOWED_HOSTS") or "localhost").replace(",", " ").split()[0]
url = "http://127.0.0.1:%s/healthz" % os.environ.get("PORT", "6543")
try:
    urllib.request.urlopen(urllib.request.Request(url, headers={"Host": host}), timeout=2)
except OSError as error:
    sys.exit("unhealthy: %s" % error)
'
    ;;
*)
    echo "usage: deploy/app.sh install|start|health" >&2
    exit 2
    ;;
esac
