"""The home page answers, with the example or without it (``make remove-example``)."""


def test_home_page(testapp):
    page = testapp.get("/", status=200)
    assert page.content_type == "text/html"
    assert "<h1>" in page.text
