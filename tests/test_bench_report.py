"""benchmarks/bench/report.py: the "vs before" column of ``--before REV``."""

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
