"""Views of the example catalog: HTML pages, the JSON API, health and errors."""
