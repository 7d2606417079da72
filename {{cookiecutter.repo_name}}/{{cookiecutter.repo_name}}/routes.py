"""The site's own URLs. The example's URLs are added by ``catalog``."""


def includeme(config):
    config.add_route("home", "/")
    config.add_route("healthz", "/healthz")
    config.add_route("session", "/session")
