"""gunicorn's ``gevent_pywsgi`` worker, sharing out connections and turns.

Connections: all workers wait on the one listening socket and every one of
them is woken by a new connection. gevent's server then accepts up to
``max_accept`` (100) connections in a row, so the first worker to run took
most of a burst: 13 of 16 keep-alive connections on one of two workers, 0 of
16 on one of four. That worker queued its requests behind each other while the
others sat idle. gunicorn's own ``gevent`` worker sets ``max_accept = 1`` when
there is more than one worker; its ``gevent_pywsgi`` worker does not (gunicorn
27.0), so it is set here.

Turns: a greenlet serving a keep-alive connection only gives way when a read
or write would block. A client that sends its next request as soon as it has
the response (a load generator, a proxy's kept-alive upstream connection)
usually has it waiting already, so the greenlet served request after request
while the worker's other connections waited: up to 199 responses in a row
without one switch (counted with ``greenlet.settrace``). Each greenlet now
waits for the next turn of gevent's loop after each response. The loop polls
for I/O first, so every connection that is ready gets one request in before
this one gets another. ``gevent.sleep(0)`` would not do: it resumes from the
loop's callback queue, before I/O is polled (gevent's own docs say so).
"""

import gevent
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler, PyWSGIServer

# Any positive delay: gevent resumes the greenlet on the loop's next turn.
NEXT_LOOP_TURN = 1e-6


class TakeTurnsHandler(PyWSGIHandler):
    def handle_one_request(self):
        result = super().handle_one_request()
        gevent.sleep(NEXT_LOOP_TURN)
        return result


class OneAcceptServer(PyWSGIServer):
    max_accept = 1


class BalancedPyWSGIWorker(GeventPyWSGIWorker):
    server_class = OneAcceptServer
    wsgi_handler = TakeTurnsHandler
