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
        "importance": plots.importance(
            ev.importance.rename(lambda n: indicator_label(n, "en")), out_dir / "importance.png"
        ),
    }
    if not ev.fairness.empty:
        out["fairness"] = plots.fairness(ev.fairness, out_dir / "fairness.png")
    return out


NAMES_ZH = {
    "LightGBM model": "模型（LightGBM）",
    "Ministry rule": "教育部规则",
    "ABC flags": "ABC 预警条目",
    "Logistic regression": "逻辑回归",
}


def indicator_label(name: str, lang: str) -> str:
    """An indicator's name in words (the catalogue's), else the column name as it is."""
    from features.catalogue import CATALOGUE

    ind = CATALOGUE.get(str(name))
    if ind is None:
        return str(name)
    return ind.zh if lang == "zh" else ind.en


def _reasons(text: object, lang: str) -> str:
    """ "unexcused_rate_30d, registered_poor" -> the indicators in words."""
    names = [n.strip() for n in str(text or "").split(",") if n.strip()]
    return ("；" if lang == "zh" else "; ").join(indicator_label(n, lang) for n in names)


def _top_decile(ev: Evaluation) -> dict[str, float]:
    """Predicted and observed leaving in the highest-risk tenth (decile 1)."""
    if ev.deciles.empty:
        return {"predicted": float("nan"), "observed": float("nan")}
    first = ev.deciles.sort_values("decile").iloc[0]
    return {"predicted": float(first["predicted"]), "observed": float(first["observed"])}


def _name(name: str) -> str:
    return NAMES.get(name, FAMILY_NAMES.get(name, name))


def _chosen(ev: Evaluation) -> str:
    """The chosen model's label: its family and candidate name."""
    return f"{FAMILY_NAMES.get(ev.family, ev.family)} ({ev.chosen}), chosen"


def _img(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _pct(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.1%}"


def _pts(value: float | None) -> str:
    """A risk difference in percentage points, signed."""
    return "–" if value is None or not np.isfinite(value) else f"{value * 100:+.1f}"


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
    """Write the report; `info` holds run_id, model_version, split text, dataset summary, notes
    (and, in the dataset summary, the visits' effects when the data folder has visits)."""
    from training.effects.in_report import effects_plot

    effects = (info.get("dataset") or {}).get("effects")
    drawn = effects_plot(effects, out_path.parent / "plots")
    if drawn is not None:
        plot_paths = {**plot_paths, "effects": drawn}
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
        "pts": _pts,
        "effects": effects,
    }
    top = ev.top_students.copy()
    if "reasons" in top:
        top["reasons"] = [_reasons(r, "en") for r in top["reasons"]]
    context["ev"] = _with_top(ev, top)
    decile = _top_decile(ev)
    gap = decile["observed"] - decile["predicted"]
    context.update(
        title_zh=f"辍学风险模型{_version_zh(info)}评估报告",
        names_zh={k: NAMES_ZH.get(k, k) for k, _ in scorers},
        top_decile=decile,
        top_decile_gap="–" if not np.isfinite(gap) else f"{gap * 100:+.1f} 个百分点",
        importance_zh=[
            (indicator_label(n, "zh"), float(v)) for n, v in ev.importance.head(10).items()
        ],
        top_students_zh=[
            {**r, "reasons": _reasons(r.get("reasons"), "zh")}
            for r in ev.top_students.to_dict("records")
        ],
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    english = _ENV.get_template("report.html.j2").render(**context)
    out_path.with_name(ENGLISH_FILE).write_text(english, encoding="utf-8")
    chinese = _ENV.get_template("report_zh.html.j2").render(**context)
    out_path.write_text(chinese, encoding="utf-8")
    return out_path


ENGLISH_FILE = "report.en.html"


def _version_zh(info: dict[str, Any]) -> str:
    version = str(info.get("model_version") or "")
    return f"（{version.replace('version ', '版本 ')}）" if version else ""


def _with_top(ev: Evaluation, top: pd.DataFrame) -> Evaluation:
    import dataclasses

    return dataclasses.replace(ev, top_students=top)
