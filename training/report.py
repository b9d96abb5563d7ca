"""The HTML report: a one-page summary for an education bureau, then charts and tables.

Charts are embedded in the page (base64 PNG) so the one file can be mailed or printed.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from training import plots
from training.baselines import NAMES
from training.candidates import FAMILY_NAMES
from training.evaluation import RISK, SCORE_PREFIX, Evaluation
from training.metrics import TIE_RULE
from training.split import time_label
from training.tiers import TIER_RULE

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("training", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
)


def draw_plots(ev: Evaluation, out_dir: Path) -> dict[str, Path]:
    """All PNG charts of an evaluation, by name."""
    y = ev.test[ev.label].to_numpy(dtype=int)
    scores = {_chosen(ev): ev.test[RISK].to_numpy()}
    for col in ev.test.columns:
        if col.startswith(SCORE_PREFIX):
            name = col.removeprefix(SCORE_PREFIX)
            scores[_name(name)] = ev.test[col].to_numpy()
    out = {
        "roc": plots.roc(y, scores, out_dir / "roc.png"),
        "pr": plots.pr(y, scores, out_dir / "pr.png"),
        "calibration": plots.calibration(ev.reliability, out_dir / "calibration.png"),
        "deciles": plots.deciles(ev.deciles, out_dir / "deciles.png"),
        "precision_at_k": plots.precision_at_k(ev.curves, ev.k, out_dir / "precision_at_k.png"),
        "importance": plots.importance(ev.importance, out_dir / "importance.png"),
    }
    if not ev.fairness.empty:
        out["fairness"] = plots.fairness(ev.fairness, out_dir / "fairness.png")
    return out


def _name(name: str) -> str:
    return NAMES.get(name, FAMILY_NAMES.get(name, name))


def _chosen(ev: Evaluation) -> str:
    """The chosen model's label: its family and candidate name."""
    return f"{FAMILY_NAMES.get(ev.family, ev.family)} ({ev.chosen}), chosen"


def _img(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _pct(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.1%}"


def _num(value: float, digits: int = 3) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _share(frame: pd.DataFrame, column: str, value: object = True) -> float | None:
    if column not in frame.columns or frame.empty:
        return None
    return float((frame[column].astype("string") == str(value)).mean())


def population(ev: Evaluation) -> list[str]:
    """Who the test students are, as short phrases (only what the test table holds)."""
    test = ev.test
    out: list[str] = []
    if "grade" in test.columns and not test.empty:
        grades = test["grade"].astype("int64")
        out.append(f"grades {grades.min()}–{grades.max()}")
    for column, noun in (("school_id", "schools"), ("township", "townships")):
        if column in test.columns:
            out.append(f"{test[column].nunique():,} {noun}")
    for column, value, what in (
        ("gender", "F", "girls"),
        ("rural_school", True, "in rural schools"),
        ("registered_poor", True, "from registered poor households"),
        ("left_behind", True, "left-behind children"),
        ("ethnic_minority", True, "from ethnic minorities"),
    ):
        share = _share(test, column, value)
        if share is not None:
            out.append(f"{share:.0%} {what}")
    return out


def render(
    ev: Evaluation,
    plot_paths: dict[str, Path],
    out_path: Path,
    info: dict[str, Any],
) -> Path:
    """Write the report; `info` holds run_id, model_version, split text, dataset summary, notes."""
    scorers = [(_chosen(ev), ev.model)] + [(_name(n), m) for n, m in ev.baselines.items()]
    best_rule = max(
        (m["caught_at_k"] for n, m in ev.baselines.items() if n in ("ministry_rule", "abc_flags")),
        default=None,
    )
    snapshots = (
        sorted({time_label(t) for t in ev.test[ev.time_column].to_numpy()})
        if ev.time_column
        else []
    )
    fairness_rows = ev.fairness.replace({np.nan: None}).to_dict("records")
    context = {
        "title": f"Dropout risk model {info.get('model_version') or ''}".strip(),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "spec": ev.spec,
        "info": info,
        "ev": ev,
        "k": ev.k,
        "snapshots": snapshots,
        "n": int(ev.model["rows"]),
        "left": int(ev.model["positives"]),
        "scorers": scorers,
        "best_rule": best_rule,
        "margins": ev.margins(ev.spec.promote_metric),
        "names": {**FAMILY_NAMES, **NAMES},
        "chosen": _chosen(ev),
        "selection": ev.selection,
        "tier_rule": TIER_RULE,
        "plots": {k: _img(v) for k, v in plot_paths.items()},
        "fairness_rows": fairness_rows,
        "population": population(ev),
        "tie_rule": TIE_RULE,
        "when": time_label,
        "pct": _pct,
        "num": _num,
    }
    html = _ENV.get_template("report.html.j2").render(**context)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(html, encoding="utf-8")
    return out_path
