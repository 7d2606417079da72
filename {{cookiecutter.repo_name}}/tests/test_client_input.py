"""Client input that once made a 500: a 4xx, or the header ignored."""

import pytest

FAR_DATE = "Mon, 01 Jan 99999999999 00:00:00 GMT"


@pytest.mark.parametrize("name", ["If-Modified-Since", "If-Unmodified-Since"])
@pytest.mark.parametrize("value", [FAR_DATE, "Mon, 31 Feb 2020 00:00:00 GMT"])
def test_an_invalid_date_is_ignored(testapp, name, value):
    response = testapp.get("/", headers={name: value})
    assert response.status_int == 200 and response.body


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=bogus",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded; charset=latin-1",
        'multipart/form-data; boundary=x; charset="bogus"',
    ],
)
def test_a_body_in_another_charset_than_utf8_is_a_415(testapp, content_type):
    testapp.post("/session", b"a=1", headers={"Content-Type": content_type}, status=415)


def test_utf8_by_any_name_is_accepted(testapp):
    token = testapp.get("/session").json["csrf_token"]
    testapp.post(
        "/session",
        b"note=hi&csrf_token=" + token.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF8"},
        status=200,
    )
