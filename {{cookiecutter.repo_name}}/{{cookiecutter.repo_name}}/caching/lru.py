"""A bounded LRU dict for in-process caches, safe under threads and greenlets."""

import threading

from cachetools import LRUCache


class LockedLRU:
    """A bounded LRU dict that is safe under threads and greenlets.

    dogpile's memory backend uses a plain dict: unbounded. cachetools' LRU in
    its place is not thread-safe (reads reorder entries), hence the lock; under
    gevent's monkey patching ``threading.Lock`` is a greenlet lock.
    """

    def __init__(self, maxsize, getsizeof=None):
        # With ``getsizeof`` (value -> size) maxsize bounds the sum of sizes.
        self._data = LRUCache(maxsize=maxsize, getsizeof=getsizeof)
        self._lock = threading.Lock()

    @property
    def currsize(self):
        return self._data.currsize

    def get(self, key, default=None):
        # One lookup (cachetools' get() asks ``in`` first, then looks up):
        # this is on every page-cache hit.
        with self._lock:
            try:
                return self._data[key]
            except KeyError:
                return default

    def __setitem__(self, key, value):
        with self._lock:
            try:
                self._data[key] = value
            except ValueError:  # larger than the whole budget: not kept
                self._data.pop(key, None)

    def pop(self, key, default=None):
        with self._lock:
            return self._data.pop(key, default)

    def __len__(self):
        return len(self._data)

    def clear(self):
        with self._lock:
            self._data.clear()
