"""Database down: ``503 Service Unavailable`` with ``Retry-After``, never a 500.

Recovery needs no restart: ``pool_pre_ping`` (``db/engine.py``) tests every
connection on checkout and replaces dead ones, so the first request after the
database is back gets a fresh connection.
"""

import logging

from pyramid.view import exception_view_config
from pyramid_retry import is_error_retryable
from sqlalchemy import exc

from ..caching import policies
from .errors import ERROR_PAGE, error_body

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


# Connection refused or lost, server shutting down, statement timeout, pool
# exhausted: the request may succeed later, so tell the client when to retry.
@exception_view_config(
    exc.OperationalError, renderer=ERROR_PAGE, http_cache=policies.NO_STORE
)
@exception_view_config(
    exc.InterfaceError, renderer=ERROR_PAGE, http_cache=policies.NO_STORE
)
@exception_view_config(
    exc.TimeoutError, renderer=ERROR_PAGE, http_cache=policies.NO_STORE
)
def database_unavailable(request):
    # pyramid_retry runs a retryable one again (a GET whose read replica is
    # gone, db/replica.py): this answer is discarded, nothing to report.
    if not is_error_retryable(request, request.exception):
        log.warning(
            "database unavailable: %s", str(request.exception).partition("\n")[0]
        )
    request.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return error_body(
        request,
        503,
        "database_unavailable",
        "Temporarily unavailable",
        f"The database cannot be reached. Please retry in {RETRY_AFTER_SECONDS} "
        "seconds.",
    )
