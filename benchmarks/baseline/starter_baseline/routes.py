def includeme(config):
    config.add_static_view("static", "static", cache_max_age=3600)
    config.add_route("home", "/")
    config.add_route("items", "/items")
    config.add_route("api_items", "/api/items")
    config.add_route("io", "/io")
