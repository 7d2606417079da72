"""Bar chart of results.json: ``python chart.py results.json results.png``."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {"baseline": "#c0392b", "ceiling": "#7f8c8d"}


def main(source, target):
    with open(source, encoding="utf-8") as results:
        data = json.load(results)
    rows = [row for row in data["rows"] if row["rps"]]
    workloads = list(dict.fromkeys(row["workload"] for row in rows))
    fig, axes = plt.subplots(
        len(workloads), 1, figsize=(9, 1.1 + 0.42 * len(rows)), squeeze=False
    )
    for axis, workload in zip(axes[:, 0], workloads, strict=True):
        group = [row for row in rows if row["workload"] == workload]
        labels = [row["target"] for row in group]
        values = [row["rps"] for row in group]
        colors = [COLORS.get(label.split()[0], "#2980b9") for label in labels]
        axis.barh(labels, values, color=colors)
        axis.set_xscale("log")
        axis.set_title(workload, fontsize=9, loc="left")
        axis.tick_params(labelsize=8)
        for y, value in enumerate(values):
            axis.text(value, y, f" {value:,.0f}", va="center", fontsize=7)
        axis.invert_yaxis()
    axes[-1, 0].set_xlabel("requests/s (log scale)")
    fig.suptitle(
        f"pyramid-fast benchmark, {data['started']}\n{data['machine']}", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
