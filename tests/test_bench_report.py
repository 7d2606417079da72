"""benchmarks/bench/report.py: the "vs before" column of ``--before REV``, and
which ceiling a row is compared with."""

from benchmarks.bench.config import SMOKE, answers, revision
from benchmarks.bench.load import Row
from benchmarks.bench.report import report


def test_a_row_is_compared_with_the_same_row_baked_from_the_earlier_commit():
    rows = [
        Row("default@abc1234", "/items cold", "/items?page=1", rps=100.0),
        Row("default", "/items cold", "/items?page=1", rps=250.0),
        Row("default", "/ warm", "/", rps=900.0),  # no earlier twin
    ]
    lines = report(rows, SMOKE, "now", 1.0, "").splitlines()
    assert any("commit abc1234" in line for line in lines)
    today = next(line for line in lines if line.startswith("| default | /items cold"))
    assert today.split(" | ")[9] == "2.5x"
    warm = next(line for line in lines if line.startswith("| default | / warm"))
    assert warm.split(" | ")[9] == ""
    earlier = next(line for line in lines if line.startswith("| default@abc1234"))
    assert earlier.split(" | ")[9] == ""


def test_an_earlier_combination_keeps_its_answers():
    assert revision("redis-pg-threads@abc1234") == "abc1234"
    assert revision("default") is None
    assert answers("redis-pg-threads@abc1234") == answers("redis-pg-threads")


def test_a_row_is_compared_with_the_ceiling_on_its_own_server():
    rows = [
        Row("ceiling bare-same-bytes", "/items warm", "/items?page=1", rps=1000.0),
        Row("ceiling bare-same-bytes on gevent", "/items warm", "/", rps=400.0),
        Row("redis-pg-threads", "/items warm", "/items?page=1", rps=900.0),
        Row("redis-pg-gevent", "/items warm", "/items?page=1", rps=300.0),
        Row("redis-pg-gevent@abc1234", "/items warm", "/items?page=1", rps=200.0),
    ]
    lines = report(rows, SMOKE, "now", 1.0, "").splitlines()

    def vs_ceiling(target):
        line = next(line for line in lines if line.startswith(f"| {target} |"))
        return line.split(" | ")[8]

    assert vs_ceiling("redis-pg-threads") == "0.9x"
    assert vs_ceiling("redis-pg-gevent") == "0.75x"
    assert vs_ceiling("redis-pg-gevent@abc1234") == "0.5x"
