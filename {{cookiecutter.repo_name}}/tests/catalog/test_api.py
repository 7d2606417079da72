"""The JSON API: list, detail, create and its validation, on both request paths
(``client``: the rolled-back test transaction and the committing app)."""

import pytest

VALID = {
    "name": "Teapot",
    "price_cents": 1999,
    "category_id": 2,
    "tags": ["gift", "tea"],
}


def test_list_first_page(client):
    response = client.get("/api/items", status=200)
    assert response.content_type == "application/json"
    body = response.json
    assert [item["id"] for item in body["items"]] == list(range(1, 51))
    assert body["page"] == 1 and body["has_next"] is True
    first = body["items"][0]
    assert set(first) == {"id", "name", "price_cents", "category", "tags"}
    assert set(first["category"]) == {"id", "name"}


def test_list_later_page(client):
    body = client.get("/api/items?page=3", status=200).json
    assert [item["id"] for item in body["items"]] == list(range(101, 121))
    assert body["has_next"] is False


def test_detail(client):
    body = client.get("/api/items/7", status=200).json
    assert body["id"] == 7 and body["name"] == "Item 0007"
    assert body["description"].startswith("Item number 7.")


def test_detail_missing_is_json_404(client):
    response = client.get("/api/items/99999", status=404)
    assert response.json == {"error": "not_found", "message": "There is no item 99999."}


def test_create_returns_201_and_is_readable(client):
    response = client.post_json("/api/items", VALID, status=201)
    created = response.json
    assert created["name"] == "Teapot"
    assert created["tags"] == ["gift", "tea"]
    assert response.location.endswith(f"/api/items/{created['id']}")
    assert client.get(f"/api/items/{created['id']}").json["name"] == "Teapot"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VALID, "name": ""}, "name"),
        ({**VALID, "name": 5}, "name"),
        ({**VALID, "name": "x" * 201}, "name"),
        ({**VALID, "price_cents": -1}, "price_cents"),
        ({**VALID, "price_cents": "12"}, "price_cents"),
        ({**VALID, "price_cents": True}, "price_cents"),
        ({**VALID, "category_id": 0}, "category_id"),
        ({**VALID, "category_id": 999}, "category_id"),
        ({**VALID, "tags": "gift"}, "tags"),
        ({**VALID, "tags": [""]}, "tags"),
        ({**VALID, "description": 3}, "description"),
        ({"price_cents": 1, "category_id": 1}, "name"),
        ([1, 2], "body"),
    ],
)
def test_create_rejects_invalid_fields(client, body, field):
    response = client.post_json("/api/items", body, status=400)
    assert field in response.json["errors"]


def test_update_changes_what_it_names_and_is_readable(client):
    before = client.get("/api/items/7").json
    updated = client.patch_json("/api/items/7", {"price_cents": 4321}).json
    try:
        assert updated == {**before, "price_cents": 4321}
        assert client.get("/api/items/7").json == updated
    finally:  # the committing path keeps its writes
        client.patch_json("/api/items/7", {"price_cents": before["price_cents"]})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": True}, "price_cents"),
        ({"name": "ok", "category_id": 2}, "category_id"),
        ([1], "body"),
    ],
)
def test_update_rejects_invalid_fields(client, body, field):
    response = client.patch_json("/api/items/7", body, status=400)
    assert field in response.json["errors"]


def test_update_of_an_unknown_item_is_a_404(client):
    client.patch_json("/api/items/99999", {"name": "x"}, status=404)


def test_update_needs_a_json_content_type(client):
    client.patch("/api/items/7", {"name": "x"}, status=415)


def test_create_rejects_malformed_json(client):
    for raw in (b"{not json", b"\xff\xfe", b""):
        response = client.post(
            "/api/items", raw, content_type="application/json", status=400
        )
        assert "body" in response.json["errors"]


def test_create_rejects_huge_body(client):
    body = {**VALID, "description": "x" * 70_000}
    response = client.post_json("/api/items", body, status=413)
    assert response.json["message"] == "At most 65536 bytes."


def test_create_needs_a_json_content_type(client):
    response = client.post("/api/items", {"name": "x"}, status=415)
    assert response.json["error"] == "Unsupported Media Type"


def test_create_needs_utf8(client):
    response = client.post(
        "/api/items",
        b"{}",
        headers={"Content-Type": "application/json; charset=bogus"},
        status=415,
    )
    assert response.json["message"] == "Send the request body as UTF-8."


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/items/1", "GET, HEAD, PATCH"),
        ("PUT", "/api/items", "GET, HEAD, POST"),
        ("POST", "/items", "GET, HEAD"),
        ("DELETE", "/items/1", "GET, HEAD"),
        ("TRACE", "/api/items/1", "GET, HEAD, PATCH"),
    ],
)
def test_a_method_the_url_does_not_take_is_a_405(client, method, path, allow):
    response = client.request(path, method=method, status=405)
    assert response.headers["Allow"] == allow
    assert b"get_item" not in response.body and b"predicate" not in response.body
    if path.startswith("/api/"):
        assert response.json["error"] == "Method Not Allowed"
