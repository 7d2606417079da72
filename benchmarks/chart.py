"""Bar chart of results.json: ``python chart.py results.json results.png``.

One panel per workload, all on one shared linear requests/s axis, so bar
lengths compare across panels and a 10% difference looks like one (a log
axis, or an axis per panel, made 1,422 vs 1,616 req/s look like a sliver
against a full bar). Each bar is labelled with its figure and, where the
workload has a baseline row, its ratio to it.
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {"baseline": "#c0392b", "ceiling": "#7f8c8d"}


def label(target, value, baseline):
    ratio = f" ({value / baseline:,.1f}x baseline)" if baseline else ""
    return f" {value:,.0f}{'' if target == 'baseline' else ratio}"


def draw(data):
    """The figure for ``data`` (results.json's content)."""
    rows = [row for row in data["rows"] if row["rps"]]
    workloads = list(dict.fromkeys(row["workload"] for row in rows))
    fig, axes = plt.subplots(
        len(workloads),
        1,
        figsize=(10, 1.1 + 0.42 * len(rows)),
        squeeze=False,
        sharex=True,
    )
    # Room on the right for the longest bar's label.
    top = max(row["rps"] for row in rows) * 1.35
    for axis, workload in zip(axes[:, 0], workloads, strict=True):
        group = [row for row in rows if row["workload"] == workload]
        labels = [row["target"] for row in group]
        values = [row["rps"] for row in group]
        baseline = dict(zip(labels, values, strict=True)).get("baseline")
        colors = [COLORS.get(name.split()[0], "#2980b9") for name in labels]
        axis.barh(labels, values, color=colors)
        axis.set_xlim(0, top)
        axis.set_title(workload, fontsize=9, loc="left")
        axis.tick_params(labelsize=8)
        for y, (target, value) in enumerate(zip(labels, values, strict=True)):
            axis.text(value, y, label(target, value, baseline), va="center", fontsize=7)
        axis.invert_yaxis()
    axes[-1, 0].xaxis.set_major_formatter("{x:,.0f}")
    axes[-1, 0].set_xlabel("requests/s (linear, one axis for every panel)")
    fig.suptitle(
        f"pyramid-fast benchmark, {data['started']}\n{data['machine']}", fontsize=9
    )
    fig.tight_layout()
    return fig


def main(source, target):
    with open(source, encoding="utf-8") as results:
        fig = draw(json.load(results))
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
