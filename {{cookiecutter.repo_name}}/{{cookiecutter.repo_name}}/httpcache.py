"""HTTP caching policies: a small vocabulary for ``@view_config(http_cache=...)``.

Pyramid's ``http_cache`` takes seconds or ``(seconds, {Cache-Control...})``.
Beware: ``http_cache=0`` means ``no-store``, which also forbids revalidation;
``REVALIDATE`` is the policy for "cache it, but ask me every time".
"""

PUBLIC_MAX_AGE = 60

# Shared caches and browsers may reuse it for a minute.
PUBLIC = (PUBLIC_MAX_AGE, {"public": True})
# Store it, but revalidate on every use (cheap with ETag/304).
REVALIDATE = (None, {"no_cache": True})
# Only the user's own browser may keep it: anything that depends on a session.
PRIVATE = (None, {"private": True, "no_cache": True})
# Never stored: writes, health checks, errors.
NO_STORE = (None, {"no_store": True})


def includeme(config):
    """The policies are applied by Pyramid's ``http_cache`` view deriver."""
