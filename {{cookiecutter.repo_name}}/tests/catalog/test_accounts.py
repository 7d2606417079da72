"""The example's signed-in area, end to end with WebTest.

Signing in, the per-user page (private, never stored), public pages still
served from the page cache to everyone while someone is signed in, the
layout's name never in a stored page, signing out, CSRF, wrong passwords and
bad input (4xx, never a session).
"""

import re

import pytest
import webtest
from pyramid.request import Request

from {{ cookiecutter.repo_name }}.accounts.demo import DEMO_NAME, demo_password
from {{ cookiecutter.repo_name }}.views import accounts as accounts_views
from {{ cookiecutter.repo_name }}.views.accounts import HINT_COOKIE
from {{ cookiecutter.repo_name }}.web.passwords import unknown_user_hash

from .test_pagecache import keeps_data, requests_seen, reused_versions

__all__ = ["keeps_data", "requests_seen", "reused_versions"]

HELLO = 'Hello, <span class="user-name">' + DEMO_NAME


@pytest.fixture
def password(app):
    return demo_password(app.registry.settings)


@pytest.fixture
def other_client(testapp):
    """A second browser: its own cookies, the same app (and transaction)."""
    return webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)


def sign_in(client, password, name=DEMO_NAME, status=303, **fields):
    form = client.get("/login", **({"params": fields} if fields else {})).forms[0]
    form["name"] = name
    form["password"] = password
    return form.submit(status=status)


def csrf_token(client):
    return client.get("/login").forms[0]["csrf_token"].value


def test_signing_in_leads_to_the_private_account_page(testapp, password):
    response = sign_in(testapp, password)
    assert response.location == "http://example.com/account"
    assert testapp.cookies[HINT_COOKIE] == "1"

    page = testapp.get("/account", status=200)

    assert HELLO in page.text
    assert page.headers["Cache-Control"] == "no-cache, private"
    assert page.headers["Vary"] == "Cookie"


def test_the_account_page_is_never_stored(
    testapp, other_client, password, requests_seen, reused_versions, keeps_data
):
    sign_in(testapp, password)
    requests_seen.clear()
    testapp.get("/account", status=200)
    testapp.get("/account", status=200)
    anonymous = other_client.get("/account", status=303)

    assert requests_seen == ["/account"] * 3  # each one reached Pyramid
    assert anonymous.location == "http://example.com/login?next=%2Faccount"
    assert DEMO_NAME not in anonymous.text


def test_public_pages_stay_shared_while_someone_is_signed_in(
    testapp, other_client, password, requests_seen, reused_versions, keeps_data
):
    sign_in(testapp, password)
    requests_seen.clear()

    signed_in = testapp.get("/items")  # rendered for a signed-in client, stored
    again = testapp.get("/items")
    anonymous = other_client.get("/items")

    assert requests_seen == ["/items"]  # the two others came from the page cache
    assert anonymous.headers["Server-Timing"] == 'page;desc="stored"'
    assert anonymous.body == signed_in.body == again.body
    assert "Set-Cookie" not in signed_in.headers
    assert signed_in.headers["Cache-Control"] == "max-age=60"


@pytest.mark.parametrize("url", ["/", "/items", "/items/7"])
def test_the_layout_never_carries_the_name_in_a_page(
    testapp, other_client, password, url, keeps_data
):
    sign_in(testapp, password)

    page = testapp.get(url)
    anonymous = other_client.get(url)

    assert 'id="whoami"' in page.text and ">Sign in</a>" in page.text
    assert DEMO_NAME not in page.text
    assert anonymous.body == page.body


def test_whoami_tells_only_the_signed_in_client_its_name(
    testapp, other_client, password, requests_seen, keeps_data
):
    sign_in(testapp, password)
    requests_seen.clear()

    mine = testapp.get("/whoami")
    theirs = other_client.get("/whoami")
    mine_again = testapp.get("/whoami")

    assert mine.json == mine_again.json
    assert mine.json == {"name": DEMO_NAME, "account_url": "http://example.com/account"}
    assert theirs.json == {"name": None}
    assert mine.headers["Cache-Control"] == "no-cache, private"
    assert requests_seen == ["/whoami"] * 3


def test_signing_out_ends_the_session(testapp, password):
    sign_in(testapp, password)
    form = testapp.get("/account").forms[0]

    response = form.submit(status=303)

    assert response.location == "http://example.com/"
    assert HINT_COOKIE not in testapp.cookies
    assert testapp.get("/whoami").json == {"name": None}
    testapp.get("/account", status=303)


def test_signing_in_starts_a_new_session(testapp, password):
    """No session fixation: what the session held before signing in is gone."""
    token = testapp.get("/session").json["csrf_token"]
    testapp.post("/session", {"note": "planted", "csrf_token": token})

    sign_in(testapp, password)

    assert testapp.get("/session").json["note"] is None


@pytest.mark.parametrize("token", [None, "forged"])
def test_login_without_the_csrf_token_is_refused(testapp, password, token):
    csrf_token(testapp)  # a session with a real token exists
    fields = {"name": DEMO_NAME, "password": password}
    if token:
        fields["csrf_token"] = token

    testapp.post("/login", fields, status=400)

    assert testapp.get("/whoami").json == {"name": None}


def test_logout_without_the_csrf_token_is_refused(testapp, password):
    sign_in(testapp, password)

    testapp.post("/logout", {"csrf_token": "forged"}, status=400)

    assert testapp.get("/whoami").json["name"] == DEMO_NAME


@pytest.mark.parametrize(
    ("name", "wrong"), [(DEMO_NAME, "not the password"), ("nobody", "whatever")]
)
def test_a_wrong_name_or_password_signs_nobody_in(testapp, password, name, wrong):
    response = sign_in(testapp, wrong, name=name, status=403)

    assert "Wrong name or password." in response.text  # the same for both
    assert "Set-Cookie" not in response.headers or HINT_COOKIE not in testapp.cookies
    assert testapp.get("/whoami").json == {"name": None}
    testapp.get("/account", status=303)


def test_the_name_is_shown_back_escaped(testapp):
    response = sign_in(testapp, "x", name='<b id="x">', status=403)

    assert '<b id="x">' not in response.text
    assert "&lt;b" in response.text


def test_an_unknown_name_costs_a_password_check_too(testapp, monkeypatch):
    """Timing must not tell which names exist: one scrypt check either way."""
    checked = []
    original = accounts_views.verify_password

    def counting(password, stored):
        checked.append(stored)
        return original(password, stored)

    monkeypatch.setattr(accounts_views, "verify_password", counting)
    sign_in(testapp, "whatever", name="nobody", status=403)

    assert checked == [unknown_user_hash()]


@pytest.mark.parametrize(
    ("name", "password"),
    [("", "x"), (DEMO_NAME, ""), ("n" * 101, "x"), (DEMO_NAME, "p" * 1025)],
)
def test_bad_input_is_a_400(testapp, name, password):
    response = sign_in(testapp, password, name=name, status=400)
    assert "Enter your name and password." in response.text


def test_odd_form_fields_are_a_4xx(testapp):
    token = csrf_token(testapp)
    testapp.post("/login", {"csrf_token": token}, status=400)
    testapp.post(
        "/login",
        params=b"csrf_token=" + token.encode() + b"&name=%ff&password=x",
        content_type="application/x-www-form-urlencoded",
        status="4*",
    )


@pytest.mark.parametrize(
    ("next_url", "path"),
    [
        ("/items?page=2", "/items?page=2"),
        ("//evil.example/", "/account"),
        ("https://evil.example/", "/account"),
        ("/\\evil.example", "/account"),
    ],
)
def test_after_signing_in_only_local_paths_are_followed(
    testapp, password, next_url, path
):
    response = sign_in(testapp, password, next=next_url)
    assert response.location == "http://example.com" + path


def test_a_signed_in_visit_to_the_login_form_goes_to_the_account(testapp, password):
    sign_in(testapp, password)
    assert testapp.get("/login", status=303).location.endswith("/account")


def test_the_password_is_stored_hashed(app, password):
    from {{ cookiecutter.repo_name }}.accounts.store import find_account
    from {{ cookiecutter.repo_name }}.web.passwords import verify_password

    request = Request.blank("/")
    request.registry = app.registry
{%- if cookiecutter.orm == "sqlalchemy" %}
    request.dbsession = app.registry["dbsession_factory"]()
{%- endif %}
    _, stored = find_account(request, DEMO_NAME)

    assert password not in stored and re.match(r"scrypt\$\d+\$8\$1\$", stored)
    assert verify_password(password, stored)
{%- if cookiecutter.orm == "sqlalchemy" %}
    request.dbsession.close()


def test_queries_per_signed_in_request(testapp, password):
    """The form: none. Signing in: one (the user by name). A signed-in page:
    one (the user by id), however often the page asks who is signed in."""
    from {{ cookiecutter.repo_name }}.db.querystats import collect

    with collect() as form:
        testapp.get("/login")
    with collect() as login:
        sign_in(testapp, password)
    with collect() as page:
        testapp.get("/account")
    with collect() as whoami:
        testapp.get("/whoami")

    assert (form.count, page.count, whoami.count) == (0, 1, 1)
    assert login.count == 1 + 0  # the user by name (the GET of the form: none)
{%- endif %}
