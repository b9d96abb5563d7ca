"""The estimate by tier, beside the overall and the naive figure, each with its interval."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_by_tier(summary: dict[str, Any], path: Path) -> Path:
    """A PNG: one point and 95% interval per tier, the overall DR and the naive estimate.

    `summary` is `EffectsResult.summary(...)`: the command and the training report draw the
    same plot from the same figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        (f"tier {g['value']}\n({g['n_treated']} visited)", g)
        for g in summary["by_group"]
        if str(g["group"]).startswith("tier") and g["att"] is not None
    ]
    order = {"high": 0, "medium": 1, "low": 2}
    rows.sort(key=lambda r: order.get(str(r[1]["value"]), 9))
    rows.append((f"all visited\n({summary['n_treated']})", summary))
    rows.append(("naive\n(confounded)", summary["naive"]))
    fig, ax = plt.subplots(figsize=(6.4, 0.7 * len(rows) + 1.2))
    for i, (label, e) in enumerate(rows):
        att, low, high = (100 * float(e[k]) for k in ("att", "ci_low", "ci_high"))  # type: ignore[arg-type]
        colour = "grey" if label.startswith("naive") else "black" if "all" in label else "C0"
        ax.errorbar(att, i, xerr=[[att - low], [high - att]], fmt="o", color=colour, capsize=4)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel(
        f"effect of a visit on leaving within {summary['horizon_days']} days (points, 95% interval)"
    )
    ax.set_title(
        "Did the visits work? (left of 0: visited children stayed more often)", fontsize=10
    )
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
