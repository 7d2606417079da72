"""``/session``: signed-cookie session state and CSRF checks, in process.

The same exchange across two real server processes is in test_multinode.py
(Redis + PostgreSQL projects).
"""

import webtest

from {{ cookiecutter.repo_name }} import main


def test_visits_are_counted_in_the_cookie(testapp):
    first = testapp.get("/session")
    assert first.json["visits"] == 1
    assert first.json["note"] is None
    assert "no-store" in first.headers["Cache-Control"]
    assert testapp.get("/session").json["visits"] == 2


def test_post_with_the_token_stores_the_note(testapp):
    token = testapp.get("/session").json["csrf_token"]
    response = testapp.post("/session", {"note": "hello", "csrf_token": token})
    assert response.json["note"] == "hello"
    assert testapp.get("/session").json["note"] == "hello"


def test_token_in_the_header_is_accepted(testapp):
    token = testapp.get("/session").json["csrf_token"]
    response = testapp.post("/session", {"note": "hi"}, headers={"X-CSRF-Token": token})
    assert response.json["note"] == "hi"


def test_post_without_a_valid_token_is_rejected(testapp):
    testapp.get("/session")
    testapp.post("/session", {"note": "hello"}, status=400)
    testapp.post("/session", {"note": "hello", "csrf_token": "forged"}, status=400)
    assert testapp.get("/session").json["note"] is None


def test_bad_note_is_a_400(testapp):
    token = testapp.get("/session").json["csrf_token"]
    for note in ("", " ", "x" * 201):
        response = testapp.post(
            "/session", {"note": note, "csrf_token": token}, status=400
        )
        assert response.json["errors"] == {"note": "1 to 200 characters"}


def test_cookie_signed_with_another_secret_is_ignored(testapp, app_settings):
    testapp.get("/session")
    testapp.get("/session")
    other = webtest.TestApp(
        main({}, **{**app_settings, "secret_key": "another-secret-" + "x" * 32}),
        extra_environ={"HTTP_HOST": "example.com"},
        cookiejar=testapp.cookiejar,
    )
    assert other.get("/session").json["visits"] == 1
