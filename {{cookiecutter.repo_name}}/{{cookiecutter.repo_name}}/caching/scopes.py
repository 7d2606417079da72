"""Scopes: the parts of a data set that writes name and pages depend on.

Opaque strings chosen by the project (``"item:7"``, ``"new"``); each has a
generation in the cache next to its data set's (``Cache.bump``).
"""

WHOLE = "*"  # the scope every stored page depends on: the whole data set


def scope_name(dataset, scope):
    """The generation name of one part of ``dataset`` (``"items/item:7"``)."""
    return f"{dataset}/{scope}"
