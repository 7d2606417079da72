"""gunicorn's ``gevent_pywsgi`` worker, accepting one connection at a time.

All workers wait on the one listening socket and every one of them is woken
by a new connection. gevent's server then accepts up to ``max_accept`` (100)
connections in a row, so the first worker to run took most of a burst: 13 of
16 keep-alive connections on one of two workers, 0 of 16 on one of four. That
worker queued its requests behind each other while the others sat idle (p99
several times granian's). gunicorn's own ``gevent`` worker sets
``max_accept = 1`` when there is more than one worker; its ``gevent_pywsgi``
worker does not (gunicorn 27.0), so it is set here.
"""

from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIServer


class OneAcceptServer(PyWSGIServer):
    max_accept = 1


class BalancedPyWSGIWorker(GeventPyWSGIWorker):
    server_class = OneAcceptServer
