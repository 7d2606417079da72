"""The signed-in flow through the production server (production.ini, one
worker): signing in, the private account page, public pages shared, the
name only in /whoami, signing out. Cookies are kept by hand, as a browser
would: production marks them ``Secure`` and this test speaks plain http."""

import http.client
import json
import os
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from {{ cookiecutter.repo_name }}.accounts.demo import DEMO_NAME, demo_password
from {{ cookiecutter.repo_name }}.scripts import bench

from ..services import free_port

HELLO = 'Hello, <span class="user-name">' + DEMO_NAME
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """One client: its own cookies, requests to the server on ``port``."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.text = response.read().decode("utf-8")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def token(self, path):
        return TOKEN.search(self.request("GET", path).text).group(1)


@pytest.fixture
def server(app, app_settings):
    cache_url = os.environ.get("TEST_CACHE_URL", "memory://")
    if cache_url.startswith("none:"):
        cache_url = "memory://"  # public pages must be stored to be shared
    environ = {
        "CACHE_URL": cache_url,
        "DEMO_PASSWORD": demo_password(app.registry.settings),
        "SERVER_TIMING": "1",  # to see which responses the page cache sent
        "WEB_CONCURRENCY": "1",
{%- if cookiecutter.orm == "sqlalchemy" %}
        "DATABASE_URL": app_settings["sqlalchemy.url"],  # migrated and seeded
{%- endif %}
    }
    port = free_port()
    process = bench.start_server(port, environ)
    try:
        bench.wait_until_ready(f"http://127.0.0.1:{port}", process)
        yield port
    finally:
        assert bench.stop_server(process) == 0


def test_the_signed_in_flow_through_the_production_server(server, app):
    alice, anonymous = Browser(server), Browser(server)
    form = {"csrf_token": alice.token("/login"), "name": DEMO_NAME}

    wrong = alice.request("POST", "/login", {**form, "password": "wrong"})
    forged = alice.request("POST", "/login", {**form, "csrf_token": "forged"})
    assert (wrong.status, forged.status) == (403, 400)
    assert "signed_in" not in alice.cookies

    password = demo_password(app.registry.settings)
    signed_in = alice.request("POST", "/login", {**form, "password": password})
    assert signed_in.status == 303
    assert signed_in.headers["Location"].endswith("/account")
    assert alice.cookies["signed_in"] == "1"

    account = alice.request("GET", "/account")
    assert account.status == 200 and HELLO in account.text
    assert account.headers["Cache-Control"] == "no-cache, private"
    assert anonymous.request("GET", "/account").status == 303

    pages = [alice.request("GET", "/items") for _ in range(2)]
    shared = anonymous.request("GET", "/items")
    assert shared.headers["Server-Timing"] == 'page;desc="stored"'
    assert shared.text == pages[0].text == pages[1].text
    assert DEMO_NAME not in shared.text and 'id="whoami"' in shared.text

    assert json.loads(alice.request("GET", "/whoami").text)["name"] == DEMO_NAME
    assert json.loads(anonymous.request("GET", "/whoami").text)["name"] is None

    logout = alice.request("POST", "/logout", {"csrf_token": alice.token("/account")})
    assert logout.status == 303
    assert "signed_in" not in alice.cookies
    assert json.loads(alice.request("GET", "/whoami").text)["name"] is None
