"""Selection tables: candidates × validation snapshots and every scorer on the test snapshot.

On a synthetic county (`generate`, then the training set of models/lightgbm.yaml) and on
the UCI student-performance tables (label `G3 < 10`, and separately `G3 == 0`; G1, G2
and G3 left out of the indicators, Cortez and Silva's setup C). Beside each, an
independent computation on the same split: scikit-learn's HistGradientBoostingClassifier
and LogisticRegression fitted on the rows the chosen model trained on, ROC-AUC and
PR-AUC by sklearn.metrics on the same test rows. No MLflow.

    .venv/bin/python -m benchmarks.bench_selection [--students 3000] [--seed 7] [--skip-county]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from training.baselines import NAMES
from training.candidates import FAMILY_NAMES
from training.dataset import prepare
from training.fit import fit_and_evaluate, plan_for
from training.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
UCI = Path("/work/shared/data/uci_student_performance")


def _table(fitted) -> str:  # noqa: ANN001 - a training.fit.Fitted
    ev, sel = fitted.evaluation, fitted.selection.table
    folds = [c for c in sel.columns if c != "mean"]
    lines = [
        f"Validation {ev.spec.promote_metric} (chosen: {ev.chosen}, {ev.family})",
        "| candidate | " + " | ".join(folds) + " | mean |",
        "|---|" + "---:|" * (len(folds) + 1),
    ]
    for name, row in sel.iterrows():
        mark = " **(chosen)**" if name == ev.chosen else ""
        lines.append(
            f"| {name}{mark} | " + " | ".join(f"{row[c]:.3f}" for c in [*folds, "mean"]) + " |"
        )
    lines += [
        "",
        "Test snapshot",
        "| scorer | ROC-AUC | PR-AUC | recall@k |",
        "|---|---:|---:|---:|",
    ]
    rows = [(f"{ev.chosen} (chosen)", ev.model)] + [
        (NAMES.get(n, FAMILY_NAMES.get(n, n)), m) for n, m in ev.baselines.items()
    ]
    for name, m in rows:
        lines.append(
            f"| {name} | {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m['recall_at_k']:.1%} |"
        )
    return "\n".join(lines)


def _independent(frame: pd.DataFrame, spec, label: str, time_column: str | None, id_column):  # noqa: ANN001
    """sklearn on the same rows: trained on the test fold's training rows, scored on the test."""
    prepared = prepare(frame, spec, label, time_column, id_column)
    plan = plan_for(prepared, spec)
    x, y = prepared.matrix(), prepared.y
    train, test = plan.test.train, plan.test.target
    cat = [prepared.features.index(c) for c in prepared.categorical]
    hgb = HistGradientBoostingClassifier(
        categorical_features=cat or None, random_state=0, early_stopping=True
    ).fit(x[train], y[train])
    filled = np.where(np.isnan(x), np.nanmedian(x[train], axis=0), x)
    filled = np.nan_to_num(filled)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(
        filled[train], y[train]
    )
    out = []
    for name, p in (
        ("sklearn HistGradientBoosting", hgb.predict_proba(x[test])[:, 1]),
        ("sklearn LogisticRegression", lr.predict_proba(filled[test])[:, 1]),
    ):
        out.append(
            f"| {name} (independent) | {roc_auc_score(y[test], p):.3f} | "
            f"{average_precision_score(y[test], p):.3f} | – |"
        )
    return "\n".join(out)


def county(students: int, seed: int) -> None:
    from features.synthetic import generate_county
    from features.training_set import build_training_set
    from features.validate import validate_folder

    spec = load_spec(REPO / "models" / "lightgbm.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        generate_county(Path(tmp) / "c", students=students, years=4, seed=seed, fmt="parquet")
        tables = validate_folder(Path(tmp) / "c", quarantine_dir=Path(tmp) / "q").tables
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ts = build_training_set(tables, "term_start", spec.horizon_days)
    start = time.perf_counter()
    fitted = fit_and_evaluate(
        ts.frame, spec, label="label", time_column="as_of", id_column="student_id"
    )
    print(
        f"\n## Synthetic county: {students:,} students, seed {seed}, {len(ts.frame):,} rows "
        f"({time.perf_counter() - start:.0f} s)\n{fitted.run_info['split']}\n"
    )
    print(_table(fitted))
    print(_independent(ts.frame, spec, "label", "as_of", "student_id"))


def uci() -> None:
    spec = load_spec(REPO / "models" / "lightgbm.yaml")
    for subject in ("mat", "por"):
        raw = pd.read_csv(UCI / f"student-{subject}.csv", sep=";")
        for name, label in (("G3 < 10", raw["G3"] < 10), ("G3 == 0", raw["G3"] == 0)):
            frame = raw.drop(columns=["G1", "G2", "G3"]).assign(y=label.astype(int))
            from training.generic import table_spec

            generic, _ = table_spec(frame, spec)
            fitted = fit_and_evaluate(frame, generic, label="y")
            print(
                f"\n## UCI student-{subject}.csv, label {name}: {len(frame)} students, "
                f"{int(label.sum())} positive\n{fitted.run_info['split']}\n"
            )
            print(_table(fitted))
            print(_independent(frame, generic, "y", None, None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-county", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    uci()
    if not args.skip_county:
        county(args.students, args.seed)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
