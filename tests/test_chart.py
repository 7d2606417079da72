"""benchmarks/chart.py: one shared linear axis, labels with the ratio to baseline."""

import importlib.util
from pathlib import Path

CHART = Path(__file__).resolve().parents[1] / "benchmarks" / "chart.py"

DATA = {
    "started": "2026-12-04 10:00 UTC",
    "machine": "test",
    "rows": [
        {"workload": "I/O 50 ms", "target": "baseline", "rps": 71.0},
        {"workload": "I/O 50 ms", "target": "threads", "rps": 2204.0},
        {"workload": "I/O 50 ms, new conn.", "target": "threads", "rps": 1616.0},
        {"workload": "I/O 50 ms, new conn.", "target": "gevent", "rps": 1422.0},
        {"workload": "bare WSGI", "target": "ceiling bare", "rps": 27194.0},
        {"workload": "skipped", "target": "gevent", "rps": 0},
    ],
}


def load_chart():
    spec = importlib.util.spec_from_file_location("chart", CHART)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_panel_shares_one_linear_axis():
    figure = load_chart().draw(DATA)
    axes = figure.axes
    assert [axis.get_title(loc="left") for axis in axes] == [
        "I/O 50 ms",
        "I/O 50 ms, new conn.",
        "bare WSGI",
    ]
    assert {axis.get_xscale() for axis in axes} == {"linear"}
    assert {axis.get_xlim() for axis in axes} == {(0, 27194.0 * 1.35)}
    # Bar lengths are the figures themselves: 1,422 is 88% of 1,616.
    widths = [patch.get_width() for patch in axes[1].patches]
    assert widths == [1616.0, 1422.0]


def test_labels_give_the_figure_and_the_ratio_to_the_baseline():
    figure = load_chart().draw(DATA)
    texts = [[text.get_text() for text in axis.texts] for axis in figure.axes]
    assert texts[0] == [" 71", " 2,204 (31.0x baseline)"]
    assert texts[1] == [" 1,616", " 1,422"]  # no baseline in that workload
