"""Per-user inputs: the one rule for "this response must never be shared".

A response may be shared (stored by the page cache, marked ``public``) only
if, while it was made (view, templates, response callbacks), nothing read an
input that differs between clients of the same URL:

* the cookies (``request.cookies``) or the session (``request.session``);
* the credentials (``request.authorization``) or who the user is
  (``request.identity``, ``request.authenticated_userid``,
  ``request.is_authenticated``);
* a request header through ``request.headers`` or WebOb's header properties
  (``user_agent``, ``referer``, ``accept_language``, ``client_addr``...),
  except the few in ``SHARED_HEADERS`` that the caches already key or
  answer on.

``Request`` (installed as the request factory) records every such read in
``environ[READS]``; ``personal_inputs(request)`` reads it back. The page cache
(``pagecache.py``) stores nothing with a read recorded, and ``policies.py``
turns such responses ``private`` with a ``Vary`` on what was read. Reading
``request.environ`` directly is not tracked: use the accessors above.
"""

import inspect

from pyramid.request import Request as PyramidRequest
from webob.headers import EnvironHeaders

# environ key: {input name: Vary header name or None}, per request
READS = "personal.reads"
# Headers every client of a URL may send differently without changing the
# page: the conditional-request headers (the caches answer them), the host
# and scheme (in the key), and transport details.
SHARED_HEADERS = frozenset(
    {
        "host",
        "if-none-match",
        "if-modified-since",
        "x-forwarded-proto",
        "content-type",
        "content-length",
        "range",
    }
)
# Request properties whose value depends on the client: name -> Vary header.
PERSONAL_PROPERTIES = {
    "cookies": "Cookie",
    "authorization": "Authorization",
    "identity": None,
    "authenticated_userid": None,
    "is_authenticated": None,
    "user_agent": "User-Agent",
    "referer": "Referer",
    "referrer": "Referer",
    "accept_language": "Accept-Language",
    "client_addr": None,
    "remote_addr": None,
    "remote_user": None,
}


def record(environ, name, vary=None):
    """Note that ``name`` (its ``Vary`` header ``vary``) was read."""
    reads = environ.get(READS)
    if reads is None:
        reads = environ[READS] = {}
    reads[name] = vary


def personal_inputs(request):
    """``{input: Vary header or None}`` read while making this response."""
    reads = dict(request.environ.get(READS, ()))
    if "session" in request.__dict__:  # the reified property ran
        reads["session"] = "Cookie"
    return reads


def is_personal(request):
    return bool(request.environ.get(READS)) or "session" in request.__dict__


class TrackedHeaders(EnvironHeaders):
    """``request.headers`` that records every header read but the shared ones."""

    def _read(self, name):
        if name.lower() not in SHARED_HEADERS:
            record(self.environ, f"header:{name.lower()}", name.title())

    def __getitem__(self, name):
        self._read(name)
        return super().__getitem__(name)

    def __contains__(self, name):
        self._read(name)
        return super().__contains__(name)

    def keys(self):
        record(self.environ, "headers:all", "*")
        return super().keys()

    def __iter__(self):
        record(self.environ, "headers:all", "*")
        return super().__iter__()


def _tracked(name, vary):
    inherited = inspect.getattr_static(PyramidRequest, name)

    def read(request):
        record(request.environ, name, vary)
        return inherited.__get__(request, type(request))

    def write(request, value):
        inherited.__set__(request, value)

    return property(read, write if hasattr(inherited, "__set__") else None)


class Request(PyramidRequest):
    """Pyramid's request, recording reads of per-user inputs (see module doc)."""

    @property
    def headers(self):
        if self._headers is None:
            self._headers = TrackedHeaders(self.environ)
        return self._headers

    @headers.setter
    def headers(self, value):
        untracked = EnvironHeaders(self.environ)  # replacing is not reading
        untracked.clear()
        untracked.update(value)


for _name, _vary in PERSONAL_PROPERTIES.items():
    setattr(Request, _name, _tracked(_name, _vary))


def includeme(config):
    config.set_request_factory(Request)
