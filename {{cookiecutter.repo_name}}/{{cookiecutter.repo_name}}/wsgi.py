"""The WSGI application for production servers that do not read PasteDeploy.

``granian --interface wsgi {{ cookiecutter.repo_name }}.wsgi:app``; the .ini file
comes from ``APP_INI`` (default ``production.ini``).
"""

import os

from pyramid.paster import get_app, setup_logging

INI = os.environ.get("APP_INI", "production.ini")

setup_logging(INI)
app = get_app(INI, "main")
