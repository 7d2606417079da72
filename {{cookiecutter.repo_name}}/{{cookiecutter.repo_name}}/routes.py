"""URL map of the example catalog."""


def includeme(config):
    config.add_route("home", "/")
    config.add_route("items", "/items")
    config.add_route("item", r"/items/{id:\d+}")
    config.add_route("api_items", "/api/items")
    config.add_route("api_item", r"/api/items/{id:\d+}")
    config.add_route("healthz", "/healthz")
    config.add_route("session", "/session")
