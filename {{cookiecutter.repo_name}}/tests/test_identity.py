"""Who is signed in (web/identity.py): a security policy over the signed
session, the identity loader hook, and identity reads that make a page
private (caching/personal.py). Nothing here imports the example."""

import uuid

import pytest
import webtest
from pyramid.events import NewResponse
from pyramid.interfaces import ISecurityPolicy
from pyramid.security import forget, remember

from {{ cookiecutter.repo_name }} import make_app, make_config
from {{ cookiecutter.repo_name }}.caching import policies
from {{ cookiecutter.repo_name }}.web.identity import SIGNED_IN, SignedInArea

PAGES = "identity-pages"
USERS = {1: "alice", 2: "bob"}


@pytest.fixture
def site(app_settings):
    """An app with a user loader, sign-in/out views and page-cached pages."""
    settings = {**app_settings, "cache.namespace": f"who-{uuid.uuid4().hex[:8]}"}
    if settings["cache.url"].startswith("none:"):
        settings["cache.url"] = "memory://"  # pages need a cache that keeps them
    config = make_config(settings)
    loads = []

    def load(request, userid):
        loads.append(userid)
        return USERS.get(userid)

    config.set_identity_loader(load)
    config.add_cache_dataset(PAGES, version=lambda request: ("1", None))
    renders = []

    def page(path, text, **options):
        def view(request):
            renders.append(path)
            request.response.text = text(request)
            return request.response

        name = "page" + path.replace("/", "-")
        config.add_route(name, path, factory=options.pop("factory", None))
        config.add_view(view, route_name=name, **options)

    cached = {"http_cache": policies.PUBLIC, "etag": PAGES, "page_cache": True}
    page("/plain", lambda request: "Hello stranger", **cached)
    page("/greet", lambda request: f"Hello {request.identity}", **cached)
    page(
        "/greet-policy",
        lambda request: (
            "Hello "
            + str(request.registry.getUtility(ISecurityPolicy).identity(request))
        ),
        **cached,
    )

    def who_late(event):
        """The identity asked for by the last response subscriber, straight
        from the policy: after the ``private`` marking had its turn."""
        if event.request.path == "/greet-late":
            policy = event.request.registry.getUtility(ISecurityPolicy)
            event.response.headers["X-Who"] = str(policy.identity(event.request))

    config.add_subscriber(who_late, NewResponse)
    page("/greet-late", lambda request: "Hello", **cached)
    page(
        "/twice",
        lambda request: f"{request.identity} {request.authenticated_userid}",
        http_cache=policies.PRIVATE,
    )
    page(
        "/members",
        lambda request: "members only",
        permission=SIGNED_IN,
        factory=SignedInArea,
        http_cache=policies.PRIVATE,
    )

    def sign_in(request):
        request.response.headers.extend(remember(request, int(request.GET["id"])))
        return request.response

    def sign_out(request):
        request.response.headers.extend(forget(request))
        return request.response

    config.add_route("sign-in", "/sign-in")
    config.add_view(sign_in, route_name="sign-in", require_csrf=False)
    config.add_route("sign-out", "/sign-out")
    config.add_view(sign_out, route_name="sign-out", require_csrf=False)
    app = make_app(config)
    extra = {"HTTP_HOST": "example.com"}
    clients = [webtest.TestApp(app, extra_environ=extra) for _ in range(3)]
    yield clients, renders, loads
    engine = app.registry.get("dbengine")
    if engine is not None:
        engine.dispose()


def assert_refused(response):
    """Pyramid's 403, or the project's forbidden view sending to a sign-in form."""
    assert response.status_int in (303, 403)
    assert "members only" not in response.text


def test_an_identity_read_keeps_the_page_to_its_reader(site):
    (alice, bob, anonymous), renders, _ = site
    alice.get("/sign-in?id=1")
    bob.get("/sign-in?id=2")
    for path in ("/greet", "/greet-policy"):
        renders.clear()
        assert alice.get(path).text == "Hello alice"
        assert bob.get(path).text == "Hello bob"
        page = anonymous.get(path)

        assert page.text == "Hello None"
        assert renders == [path] * 3  # none of them stored
        assert "private" in page.headers["Cache-Control"]


def test_an_identity_read_after_the_view_keeps_the_page_out_of_the_cache(site):
    """The policy reads the session, whose cookie read is tracked: the page
    cache sees it even after the ``private`` marking had its turn."""
    (alice, _, anonymous), renders, _ = site
    alice.get("/sign-in?id=1")

    assert alice.get("/greet-late").headers["X-Who"] == "alice"
    assert anonymous.get("/greet-late").headers["X-Who"] == "None"
    assert renders == ["/greet-late"] * 2


def test_a_page_that_asks_nobody_is_shared_while_users_are_signed_in(site):
    (alice, bob, anonymous), renders, _ = site
    alice.get("/sign-in?id=1")
    alice.get("/plain")
    bob.get("/plain")
    anonymous.get("/plain")

    assert renders == ["/plain"]


def test_the_identity_is_loaded_once_per_request(site):
    (alice, _, _), _, loads = site
    alice.get("/sign-in?id=1")
    loads.clear()

    assert alice.get("/twice").text == "alice 1"
    assert loads == [1]


def test_a_user_the_loader_no_longer_knows_is_signed_out(site):
    (alice, _, _), _, _ = site
    alice.get("/sign-in?id=3")  # no such user

    assert alice.get("/twice").text == "None None"
    assert_refused(alice.get("/members", status="*"))


def test_signed_in_areas_need_someone_signed_in(site):
    (alice, _, anonymous), _, _ = site
    alice.get("/sign-in?id=1")

    assert alice.get("/members").text == "members only"
    assert_refused(anonymous.get("/members", status="*"))
    alice.get("/sign-out")
    assert_refused(alice.get("/members", status="*"))
