"""Per-user inputs are never shared: one rule (caching/personal.py) for the
page cache and the HTTP ``private`` marking.

A tiny data set and page-cached views of the test's own, each reading one
per-user input (a cookie, the credentials, the identity, a header), served to
one client and then to another. Nothing here imports the example.
"""

import uuid

import pytest
import webtest
from pyramid.events import NewResponse

from {{ cookiecutter.repo_name }} import make_app, make_config
from {{ cookiecutter.repo_name }}.caching import personal, policies

GREETINGS = "greetings"


class HeaderIdentity:
    """A security policy whose identity is the ``X-User`` header (read from
    the environ directly, so only the identity read itself is tracked)."""

    def identity(self, request):
        return request.environ.get("HTTP_X_USER")

    def authenticated_userid(self, request):
        return self.identity(request)

    def permits(self, request, context, permission):
        return True

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []


VIEWS = {
    "/plain": lambda request: "Hello stranger",
    "/cookie": lambda request: "Hello " + request.cookies.get("user", "stranger"),
    "/authorization": lambda request: f"Hello {request.authorization}",
    "/identity": lambda request: f"Hello {request.identity}",
    "/authenticated": lambda request: f"Hello {request.is_authenticated}",
    "/header": lambda request: "Hello " + request.headers.get("X-Name", "stranger"),
    "/headers": lambda request: "Hello " + " ".join(request.headers.values()),
    "/agent": lambda request: f"Hello {request.user_agent}",
    "/greet-session": lambda request: "Hello " + request.session.get("name", "?"),
}
# What each client sends to be greeted by name.
ALICE = {
    "/cookie": {"Cookie": "user=alice"},
    "/authorization": {"Authorization": "Bearer alice"},
    "/identity": {"X-User": "alice"},
    "/authenticated": {"X-User": "alice"},
    "/header": {"X-Name": "alice"},
    "/headers": {"X-Name": "alice", "X-Other": "alice"},
    "/agent": {"User-Agent": "alice"},
}


@pytest.fixture
def greetings(app_settings):
    settings = {**app_settings, "cache.namespace": f"greet-{uuid.uuid4().hex[:8]}"}
    if settings["cache.url"].startswith("none:"):
        settings["cache.url"] = "memory://"  # pages need a cache that keeps them
    config = make_config(settings)
    config.set_security_policy(HeaderIdentity())
    config.add_cache_dataset(GREETINGS, version=lambda request: ("1", None))
    renders = []
    for number, (path, greet) in enumerate(VIEWS.items()):

        def view(request, greet=greet, path=path):
            renders.append(path)
            request.response.text = greet(request)
            return request.response

        config.add_route(f"greeting{number}", path)
        config.add_view(
            view,
            route_name=f"greeting{number}",
            http_cache=policies.PUBLIC,
            etag=GREETINGS,
            page_cache=True,
        )
    client = webtest.TestApp(
        make_app(config), extra_environ={"HTTP_HOST": "example.com"}
    )
    yield client, renders
    engine = client.app.registry.get("dbengine")
    if engine is not None:
        engine.dispose()


def test_a_subscriber_registered_later_reading_the_identity_is_still_private(
    app_settings,
):
    config = make_config(app_settings)
    config.set_security_policy(HeaderIdentity())
    config.add_route("late", "/late")
    config.add_view(
        lambda request: "Hello",
        route_name="late",
        renderer="string",
        http_cache=policies.PUBLIC,
    )

    def name_in_a_header(event):  # the project's own, registered after caching
        event.response.headers["X-User-Name"] = str(event.request.identity)

    config.add_subscriber(name_in_a_header, NewResponse)
    client = webtest.TestApp(
        make_app(config), extra_environ={"HTTP_HOST": "example.com"}
    )
    response = client.get("/late", headers={"X-User": "alice"})
    assert response.headers["X-User-Name"] == "alice"
    assert response.cache_control.private and not response.cache_control.public


def test_a_page_that_reads_no_per_user_input_is_stored(greetings):
    client, renders = greetings
    first = client.get("/plain", headers={"Cookie": "user=alice"})
    again = client.get("/plain")

    assert renders == ["/plain"]
    assert again.text == first.text == "Hello stranger"
    assert again.headers["Cache-Control"] == "max-age=60"


@pytest.mark.parametrize("path", sorted(ALICE))
def test_a_page_that_read_a_per_user_input_is_never_shared(greetings, path):
    client, renders = greetings
    alice = client.get(path, headers=ALICE[path])
    anonymous = client.get(path)
    bob = client.get(path, headers={k: "bob" for k in ALICE[path]})

    assert "alice" in alice.text or alice.text == "Hello True"
    assert "alice" not in anonymous.text and anonymous.text != "Hello True"
    assert "alice" not in bob.text
    assert renders == [path] * 3  # nothing stored
    assert "private" in alice.headers["Cache-Control"]
    assert "public" not in alice.headers["Cache-Control"]


def test_the_session_is_a_per_user_input_too(greetings):
    client, renders = greetings
    response = client.get("/greet-session")
    client.get("/greet-session")

    assert renders == ["/greet-session"] * 2
    assert response.headers["Cache-Control"] == "max-age=60, private"
    assert response.headers["Vary"] == "Cookie"


@pytest.mark.parametrize(
    ("path", "vary"),
    [
        ("/cookie", "Cookie"),
        ("/authorization", "Authorization"),
        ("/header", "X-Name"),
        ("/agent", "User-Agent"),
        ("/identity", None),
    ],
)
def test_private_responses_vary_on_what_was_read(greetings, path, vary):
    client, _ = greetings
    response = client.get(path)

    assert response.headers.get("Vary") == vary


def test_a_request_with_authorization_never_gets_a_stored_page(greetings):
    client, renders = greetings
    client.get("/plain")
    response = client.get("/plain", headers={"Authorization": "Bearer carol"})

    assert renders == ["/plain"] * 2
    assert response.text == "Hello stranger"


def test_shared_headers_are_not_per_user_inputs():
    request = personal.Request.blank("/", headers={"If-None-Match": '"x"'})
    assert request.headers.get("If-None-Match") == '"x"'
    assert "Host" in request.headers
    assert not personal.is_personal(request)

    request.headers["X-Set"] = "1"  # writing is not reading
    request.authorization = ("Bearer", "t")
    assert not personal.is_personal(request)
    request.headers = {"X-Other": "2"}
    assert request.environ["HTTP_X_OTHER"] == "2"
    assert list(request.headers.keys())
    assert personal.personal_inputs(request) == {"headers:all": "*"}
