"""A bounded LRU dict for in-process caches, safe under threads and greenlets."""

import threading

from cachetools import LRUCache


class LockedLRU:
    """A bounded LRU dict that is safe under threads and greenlets.

    dogpile's memory backend uses a plain dict: unbounded. cachetools' LRU in
    its place is not thread-safe (reads reorder entries), hence the lock; under
    gevent's monkey patching ``threading.Lock`` is a greenlet lock.
    """

    def __init__(self, maxsize):
        self._data = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            return self._data.get(key, default)

    def __setitem__(self, key, value):
        with self._lock:
            self._data[key] = value

    def pop(self, key, default=None):
        with self._lock:
            return self._data.pop(key, default)

    def __len__(self):
        return len(self._data)

    def clear(self):
        with self._lock:
            self._data.clear()
