"""Rendered-page cache: a warm public page is one cache read, no view, no template.

Opt in next to the view: ``@view_config(..., etag=catalog.DATASET,
page_cache=True)``. It is a separate flag, not implied by ``etag``, because an
ETag is safe for any view while storing the bytes is a promise by the view's
author that the page depends only on its URL and the data set's version (no
user, no session, no request headers). ``httpcache.conditional_view`` drives it
after the version lookup, so a write (a new version) retires every stored page.

Key: data version tag (which covers the release), view, renderer, the
application URL (pages hold absolute links: scheme, host and script name vary
them) and the path with its query string. Value: the body and its content type;
the ETag and Last-Modified are recomputed from the version the key already
holds. Stored through ``request.cache``: shared by every worker with Redis or
Memcached, fail-open, and bounded by ``cache.expiration_time``.

Never stored: non-200s, anything but GET, responses that read the session, set
a cookie, are private or ``no-store``, or carry a ``Vary`` header (an input the
key would not see).
"""

from pyramid.response import Response


def page_key(view_name, renderer_name, opaque_tag, request):
    return (
        f"page:{opaque_tag}:{view_name}:{renderer_name}:"
        f"{request.application_url}{request.path_qs}"
    )


def storable(request, response):
    cache_control = response.cache_control
    return (
        request.method == "GET"
        and response.status_code == 200
        and "session" not in request.__dict__  # the reified property never ran
        and "Set-Cookie" not in response.headers
        and "Vary" not in response.headers
        and not cache_control.private
        and not cache_control.no_store
    )


def encode(response, in_process):
    """The entry to store, or None. Byte backends hold JSON, hence text."""
    content_type = response.headers["Content-Type"]
    if in_process:  # the object itself is kept: bytes, no copy or decoding
        return (response.body, content_type)
    if response.charset is None:
        try:
            text = response.body.decode("utf-8")  # JSON without a charset param
        except UnicodeDecodeError:
            return None
    else:
        text = response.text
    return [text, content_type]


def decode(entry):
    body, content_type = entry
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Response(body=body, headerlist=[("Content-Type", content_type)])


def cached_page(request, key):
    """The stored response for ``key``, or None."""
    entry = request.cache.get(key)
    return None if entry is None else decode(entry)


def store_page(request, key, response):
    if storable(request, response):
        entry = encode(response, request.cache.in_process)
        if entry is not None:
            request.cache.set(key, entry)
