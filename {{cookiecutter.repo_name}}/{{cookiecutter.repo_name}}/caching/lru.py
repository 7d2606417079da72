"""A bounded LRU dict for in-process caches, safe under threads and greenlets."""

import threading
from collections import OrderedDict


class LockedLRU:
    """A bounded LRU dict that is safe under threads and greenlets.

    dogpile's memory backend uses a plain dict: unbounded. Here the least
    recently used entries go once ``maxsize`` is reached: entries count one
    each, or ``getsizeof(value)`` each when given (a byte budget).

    Writes and evictions hold a lock (several steps: sizes, order, total).
    Reads take none: they run on every page-cache hit, and each of their two
    steps (look up, move to the end) is one call into the C ``OrderedDict``,
    which the GIL (or, under gevent, the absence of a switch inside C code)
    keeps whole. An entry evicted between the two steps is a miss.
    """

    def __init__(self, maxsize, getsizeof=None):
        self.maxsize = maxsize
        self.currsize = 0
        self._getsizeof = getsizeof
        self._data = OrderedDict()  # key -> value, least recently used first
        self._sizes = {}  # key -> its size, counted in currsize
        self._lock = threading.Lock()

    def get(self, key, default=None):
        try:
            value = self._data[key]
            self._data.move_to_end(key)
        except KeyError:
            return default
        return value

    def __setitem__(self, key, value):
        size = 1 if self._getsizeof is None else self._getsizeof(value)
        with self._lock:
            self._remove(key)
            if size > self.maxsize:
                return  # larger than the whole budget: not kept
            while self.currsize + size > self.maxsize:
                oldest, _ = self._data.popitem(last=False)  # one step, as reads
                self.currsize -= self._sizes.pop(oldest)
            self._data[key] = value
            self._sizes[key] = size
            self.currsize += size

    def pop(self, key, default=None):
        with self._lock:
            return self._remove(key, default)

    def _remove(self, key, default=None):
        value = self._data.pop(key, default)
        self.currsize -= self._sizes.pop(key, 0)
        return value

    def __len__(self):
        return len(self._data)

    def clear(self):
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self.currsize = 0
