"""The report's charts, drawn with matplotlib's Agg backend into PNG files.

Each function takes plain arrays/tables and a path, and returns the path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

# Agg: no display on servers and CI (must precede pyplot). Not when a notebook or another
# host has already chosen a backend: switching would stop the researcher's own figures
# from showing. Charts here are saved and closed, so any backend draws them.
if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

MODEL_COLOR = "#1f5fa8"
OTHER_COLORS = ("#d9822b", "#6a9f3a", "#8c6bb1", "#999999")


def _save(fig: plt.Figure, path: Path, left: float = 0.13) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Fixed margins: tight_layout measures every tick label and costs seconds per chart.
    fig.subplots_adjust(left=left, right=0.97, top=0.91, bottom=0.13)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def roc(y: np.ndarray, scores: dict[str, np.ndarray], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for (name, s), color in zip(scores.items(), (MODEL_COLOR, *OTHER_COLORS), strict=False):
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, color=color, label=name, lw=2 if color == MODEL_COLOR else 1.3)
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="chance")
    ax.set(
        xlabel="share of stayers flagged (false positive rate)",
        ylabel="share of leavers caught (recall)",
        title="ROC curve",
    )
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def pr(y: np.ndarray, scores: dict[str, np.ndarray], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for (name, s), color in zip(scores.items(), (MODEL_COLOR, *OTHER_COLORS), strict=False):
        precision, recall, _ = precision_recall_curve(y, s)
        ax.plot(recall, precision, color=color, label=name, lw=2 if color == MODEL_COLOR else 1.3)
    ax.axhline(y.mean(), ls=":", color="grey", label=f"base rate {y.mean():.1%}")
    ax.set(
        xlabel="share of leavers caught (recall)",
        ylabel="share of flagged who left (precision)",
        title="Precision–recall curve",
    )
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)


def calibration(table: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="perfect calibration")
    ax.plot(table["predicted"], table["observed"], marker="o", color=MODEL_COLOR, label="model")
    for _, row in table.iterrows():
        ax.annotate(
            f"{int(row['count'])}",
            (row["predicted"], row["observed"]),
            fontsize=7,
            textcoords="offset points",
            xytext=(4, -8),
        )
    top = max(0.05, float(table[["predicted", "observed"]].max().max()) * 1.1)
    ax.set(
        xlim=(0, top),
        ylim=(0, top),
        xlabel="predicted risk (bin mean)",
        ylabel="share who actually left",
        title="Reliability diagram (students per bin)",
    )
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def deciles(table: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.bar(table["decile"].astype(str), table["observed"] * 100, color=MODEL_COLOR)
    for _, row in table.iterrows():
        ax.text(
            str(int(row["decile"])),
            row["observed"] * 100,
            f"{int(row['left'])}",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set(
        xlabel="risk group (1 = the 10% with the highest risk)",
        ylabel="% who left school",
        title="Who left, by risk group (number who left on top)",
    )
    return _save(fig, path)


def precision_at_k(curves: dict[str, pd.DataFrame], k: int, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for (name, c), color in zip(curves.items(), (MODEL_COLOR, *OTHER_COLORS), strict=False):
        ax.plot(
            c["k"], c["precision"], color=color, label=name, lw=2 if color == MODEL_COLOR else 1.3
        )
    ax.axvline(k, ls="--", color="black", lw=1, label=f"visit capacity ({k})")
    ax.set(
        xscale="log",
        xlabel="students visited, from the highest risk down (log scale)",
        ylabel="share of visited who left (precision)",
        title="Precision at k",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def importance(values: pd.Series, path: Path, top: int = 15) -> Path:
    values = values.sort_values(ascending=True).tail(top)
    fig, ax = plt.subplots(figsize=(6.5, 0.3 * len(values) + 1.2))
    ax.barh(values.index, values.to_numpy(), color=MODEL_COLOR)
    ax.set(
        xlabel="mean |contribution| to the risk score (log-odds)",
        title="What drives the risk (test snapshot)",
    )
    return _save(fig, path, left=0.35)


def fairness(table: pd.DataFrame, path: Path, metric: str = "recall") -> Path:
    rows = table.dropna(subset=[f"{metric}_ratio"])
    labels = [f"{a}={g}" for a, g in zip(rows["attribute"], rows["group"], strict=True)]
    fig, ax = plt.subplots(figsize=(6.5, 0.28 * max(len(rows), 1) + 1.4))
    ratio = rows[f"{metric}_ratio"]
    small = rows["too_small"] if "too_small" in rows else [False] * len(rows)
    colors = [
        "#bbbbbb" if tiny else "#c0392b" if (r < 0.8 or r > 1.25) else MODEL_COLOR
        for r, tiny in zip(ratio, small, strict=True)
    ]
    ax.barh(labels, rows[f"{metric}_ratio"].to_numpy(), color=colors)
    ax.axvspan(0.8, 1.25, color="#2ecc71", alpha=0.15, label="0.8–1.25 (no disparity)")
    ax.axvline(1.0, color="black", lw=0.8)
    ax.invert_yaxis()
    ax.set(
        xlabel=f"{metric} ratio vs the largest group",
        title="Share of each group's leavers caught, relative to the largest group",
    )
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path, left=0.35)
