"""Every HTML route: status, content type and content, on both request paths
(``client``: the rolled-back test transaction and the committing app)."""

import re


def item_links(html):
    return re.findall(r'href="/items/(\d+)"', html)


def test_home_shows_counts_and_latest_items(client):
    response = client.get("/", status=200)
    assert response.content_type == "text/html"
    assert "120 items in 5 categories." in response.text
    assert len(item_links(response.text)) == 5
    assert "/static/" in response.text


def test_items_page_lists_fifty_with_category_and_tags(client):
    response = client.get("/items", status=200)
    assert response.content_type == "text/html"
    rows = re.findall(r'<li class="item">.*?</li>', response.text, re.S)
    assert len(rows) == 50
    assert all('class="category"' in row and 'class="tag"' in row for row in rows)
    assert 'rel="next"' in response.text
    assert 'rel="prev"' not in response.text


def test_last_page_has_no_next_link(client):
    response = client.get("/items?page=3", status=200)
    assert len(item_links(response.text)) == 20
    assert 'rel="prev"' in response.text
    assert 'rel="next"' not in response.text


def test_page_beyond_the_end_is_404(client):
    response = client.get("/items?page=4", status=404)
    assert "There is no page 4." in response.text


def test_bad_page_number_is_400(client):
    for bad in ("0", "-1", "abc", "1.5", "", "9999999"):
        response = client.get(f"/items?page={bad}", status=400)
        assert response.json["errors"]["page"]


def test_item_detail_shows_description(client):
    response = client.get("/items/7", status=200)
    assert response.content_type == "text/html"
    assert "Item 0007" in response.text
    assert "Item number 7." in response.text


def test_missing_item_is_404_page(client):
    response = client.get("/items/99999", status=404)
    assert response.content_type == "text/html"
    assert "There is no item 99999." in response.text


def test_unknown_path_is_404_page(client):
    response = client.get("/no/such/page", status=404)
    assert "Not found" in response.text


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_stylesheet_is_served(client):
    html = client.get("/").text
    href = re.search(r'href="http://example.com(/static/[^"]+\.css)"', html)
    response = client.get(href.group(1), status=200)
    assert response.content_type == "text/css"


def test_example_pages_are_warmed_up_at_start(app):
    # Requested at start when warm_up.enabled (production.ini); testing.ini
    # leaves it off, so tests count their own queries.
    assert app.registry.warm_up_paths == ["/", "/items"]


def test_item_links_are_the_items_paths(testapp):
    html = testapp.get("/items?page=2&after=50").text
    assert item_links(html) == [str(number) for number in range(51, 101)]
