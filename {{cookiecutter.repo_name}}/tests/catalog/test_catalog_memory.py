"""The in-process catalog used when the project has no database."""

from {{ cookiecutter.repo_name }}.catalog.queries import MemoryCatalog


def test_catalog_is_deterministic():
    first, second = MemoryCatalog(10), MemoryCatalog(10)
    assert first.items == second.items
    assert len(first.items) == 10
    assert {item["category"]["name"] for item in first.items} <= {
        category["name"] for category in first.categories
    }


def test_created_item_is_listed_on_the_last_page(testapp):
    created = testapp.post_json(
        "/api/items", {"name": "Kettle", "price_cents": 5, "category_id": 1}, status=201
    ).json
    last_page = testapp.get("/api/items?page=3").json
    assert last_page["items"][-1]["id"] == created["id"]
