"""One render at a time per retired page in this process: no stampede."""

import threading

# How long a request waits for another one's render of the same page before
# rendering it itself (a render that slow has bigger problems than a stampede).
WAIT_SECONDS = 2.0


class RenderOnce:
    """``lead(key)``: True for the one request that renders ``key`` now.

    The others wait in ``lead`` until that render is done (``done(key)``),
    then read the page it stored. Without this, when a busy page retires (a
    write, its expiry), every request that arrives before the new copy is
    stored renders it too: dozens of renders of one page at a few thousand
    requests a second.
    """

    def __init__(self, wait_seconds=WAIT_SECONDS):
        self.wait_seconds = wait_seconds
        # Held for a dict step only. The app is loaded before gevent patches
        # the worker (preload_app), so this may be a real thread lock; the
        # events are made per render, after the patching, so waiting on one
        # lets the other greenlets (the leader among them) run.
        self._lock = threading.Lock()
        self._rendering = {}  # key -> Event set when its render is done

    def lead(self, key):
        with self._lock:
            done = self._rendering.get(key)
            if done is None:
                self._rendering[key] = threading.Event()
                return True
        done.wait(self.wait_seconds)
        return False

    def done(self, key):
        with self._lock:
            done = self._rendering.pop(key)
        done.set()
