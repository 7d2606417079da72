"""The names ``pshell development.ini`` adds (``[pshell] setup`` in the .ini).

This project has no database (orm=none), so there is no session or
transaction to offer:

* ``cache``: the server-side cache (``cache.bump("items")`` after changing a
  data set shows the change in cached pages at once)
* ``settings``: the typed settings (``settings.environment``)
"""


def setup(env):
    registry = env["registry"]
    env["cache"] = registry.cache
    env["settings"] = registry.app_settings
