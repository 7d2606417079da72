"""fanout.gather: calls overlap, failures and deadlines come back as results."""

import contextvars

from {{ cookiecutter.repo_name }}.clients import fanout

if "{{ cookiecutter.concurrency }}" == "gevent":
    from gevent.event import Event
else:
    from threading import Event

request_id = contextvars.ContextVar("request_id", default=None)


def test_calls_run_concurrently():
    # Each call waits for the other to start: run one after the other, the
    # first would give up after 5 s and return False.
    a_started, b_started = Event(), Event()

    def a():
        a_started.set()
        return b_started.wait(5)

    def b():
        b_started.set()
        return a_started.wait(5)

    results = fanout.gather({"a": a, "b": b}, timeout=10)
    assert results["a"].value is True
    assert results["b"].value is True


def test_errors_and_deadlines_become_results():
    never = Event()

    def fails():
        raise ValueError("backend said no")

    results = fanout.gather(
        {"ok": lambda: 42, "fails": fails, "slow": lambda: never.wait(2)},
        timeout=0.2,
    )
    assert results["ok"].ok and results["ok"].value == 42
    assert isinstance(results["fails"].error, ValueError)
    assert isinstance(results["slow"].error, TimeoutError)
    assert not results["slow"].ok


def test_calls_see_the_callers_context_variables():
    request_id.set("r-1")
    results = fanout.gather({"read": request_id.get}, timeout=5)
    assert results["read"].value == "r-1"
