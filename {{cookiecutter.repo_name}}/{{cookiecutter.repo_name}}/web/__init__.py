"""Web plumbing: everything between the HTTP server and the views.

``proxy`` (the client's scheme from a trusted proxy) wraps the WSGI app in
``main()``; the rest registers here: static files, sessions and security
headers, who is signed in (``identity``: the security policy over the
session, ``config.set_identity_loader``), the tween chain, on-demand
profiling, the start-up check for running several workers, and the warm-up
requests made at start (``config.add_warm_up_request``). ``health``
(``config.add_health_check``) is included first by ``main()``, since the
parts before this one register checks.
"""


def includeme(config):
    config.include(".staticfiles")
    config.include(".security")
    config.include(".identity")
    config.include(".tweens")
    config.include(".methods")
    config.include(".profiling")
    config.include(".scaleout")
    config.include(".warmup")  # config.add_warm_up_request
