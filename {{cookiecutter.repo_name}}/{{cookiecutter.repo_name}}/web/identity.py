"""Who is signed in: a Pyramid security policy over the signed session.

``SessionSecurityPolicy`` keeps only the user id in the session (Pyramid's
``SessionAuthenticationHelper``: the signed cookie of ``security.py``, so any
worker on any machine knows who is signed in). The identity (the user's
record) comes from the loader the project registers:

    config.set_identity_loader(load)  # load(request, userid) -> identity or None

With no loader, or when the loader finds no such user any more, nobody is
signed in. The identity is loaded once per request.

Every read of who the user is goes through ``caching/personal.py``:
``request.identity``, ``authenticated_userid`` and ``is_authenticated`` are
tracked there, and the policy reads the session, whose cookie read is tracked
too, so a page that asked who the user is, however it asked (even from the
policy itself, after the view), is never stored by the page cache.

Permissions: Pyramid's ACLs. ``SignedInArea`` (a route ``factory=``) lets
every signed-in user have ``SIGNED_IN``: ``@view_config(...,
permission=SIGNED_IN)``.
"""

from pyramid.authentication import SessionAuthenticationHelper
from pyramid.authorization import ACLHelper, Allow, Authenticated, Everyone

SIGNED_IN = "signed-in"
LOADED = "identity.loaded"  # environ key: (userid, identity) of this request


class SignedInArea:
    """Route context (``factory=SignedInArea``) open to signed-in users."""

    __acl__ = ((Allow, Authenticated, SIGNED_IN),)

    def __init__(self, request):
        pass


def nobody(request, userid):
    """The loader until the project sets one: nobody is ever signed in."""
    return None


class SessionSecurityPolicy:
    def __init__(self):
        self.helper = SessionAuthenticationHelper()
        self.acl = ACLHelper()

    def _loaded(self, request):
        loaded = request.environ.get(LOADED)
        if loaded is None:
            userid = self.helper.authenticated_userid(request)
            identity = None
            if userid is not None:
                identity = request.registry.identity_loader(request, userid)
            loaded = request.environ[LOADED] = (userid, identity)
        return loaded

    def identity(self, request):
        return self._loaded(request)[1]

    def authenticated_userid(self, request):
        userid, identity = self._loaded(request)
        return None if identity is None else userid

    def permits(self, request, context, permission):
        principals = [Everyone]
        userid = self.authenticated_userid(request)
        if userid is not None:
            principals += [Authenticated, f"user:{userid}"]
        return self.acl.permits(context, principals, permission)

    def remember(self, request, userid, **kw):
        request.environ.pop(LOADED, None)
        return self.helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        request.environ.pop(LOADED, None)
        return self.helper.forget(request, **kw)


def set_identity_loader(config, load):
    """``load(request, userid)``: the signed-in user's identity, or None."""
    config.registry.identity_loader = config.maybe_dotted(load)


def includeme(config):
    config.registry.identity_loader = nobody
    config.add_directive("set_identity_loader", set_identity_loader)
    config.set_security_policy(SessionSecurityPolicy())
