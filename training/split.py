"""Train / validation / test: temporal by snapshot when time is known, else stratified."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from training.errors import TableError
from training.spec import SplitSpec


@dataclass(frozen=True)
class Split:
    """Boolean row masks for the three parts, and the snapshot labels each holds."""

    kind: str  # "temporal" or "stratified"
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    train_times: list[str]
    validation_times: list[str]
    test_times: list[str]

    def describe(self) -> str:
        if self.kind == "stratified":
            return (
                f"stratified random split: {int(self.train.sum()):,} train, "
                f"{int(self.validation.sum()):,} validation, {int(self.test.sum()):,} test rows"
            )
        return (
            f"rolling-origin temporal split: validate on {', '.join(self.validation_times)} "
            f"(each trained on the snapshots before it whose label window had closed); "
            f"test on {', '.join(self.test_times)}, trained on {', '.join(self.train_times)}"
        )


@dataclass(frozen=True)
class Fold:
    """Rows to train on and the rows they predict (one validation or test snapshot)."""

    name: str
    train: np.ndarray
    target: np.ndarray


@dataclass(frozen=True)
class Plan:
    """Validation folds (oldest first), the test fold, and the split the report shows."""

    folds: list[Fold]
    test: Fold
    split: Split
    skipped: list[str] = field(default_factory=list)
    """Validation snapshots left out: no earlier label window had closed by then."""
    test_note: str | None = None
    """Why the test period is longer than the spec's `test_snapshots`, when it is."""


def time_label(value: object) -> str:
    """A snapshot as text: YYYY-MM-DD for dates, else as written (2014J, 3)."""
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


def _closed_before(times: np.ndarray, target: object, horizon_days: int | None) -> np.ndarray:
    """Rows whose label window ended before `target`: the gap every fold keeps."""
    if np.issubdtype(times.dtype, np.datetime64) and horizon_days is not None:
        ends = times + np.timedelta64(horizon_days, "D")
        return ends <= np.datetime64(pd.Timestamp(target))
    return times < target


def temporal_split(
    times: pd.Series,
    spec: SplitSpec,
    horizon_days: int | None = None,
    labels: np.ndarray | None = None,
) -> Plan:
    """Rolling origin: the last `test_snapshots` test, each of the `validation_snapshots`
    before them is a validation fold; every fold trains only on rows whose label window
    [snapshot, snapshot + horizon) closed before the snapshot it predicts. A horizon that
    leaves a fold nothing to train on is refused.

    With `labels` and `spec.min_test_leavers`, the test period grows to the last two,
    three... snapshots until it holds that many leavers (a test of a handful of leavers
    decides promotion by chance), as long as the folds before it can still be trained and
    the test model trains on at least as many snapshots as it is tested on.
    """
    values = times.to_numpy()
    plan = _rolling(values, spec.test_snapshots, spec.validation_snapshots, horizon_days)
    if labels is None or not spec.min_test_leavers:
        return plan
    n_test, need = spec.test_snapshots, spec.min_test_leavers
    while int(labels[plan.test.target].sum()) < need:
        try:
            wider = _rolling(values, n_test + 1, spec.validation_snapshots, horizon_days)
        except TableError:  # no earlier snapshots left to validate or train on
            break
        # The model served is the one tested: it keeps at least as many snapshots to learn
        # from as it is tested on, or a small county's model would learn from a year of data.
        if len(np.unique(values[wider.test.train])) < n_test + 1:
            break
        plan, n_test = wider, n_test + 1
    held = int(labels[plan.test.target].sum())
    if n_test > spec.test_snapshots or held < need:
        grown = f", grown from {spec.test_snapshots}" if n_test > spec.test_snapshots else ""
        short = "" if held >= need else f" (fewer than {need}: its figures are noisy)"
        note = (
            f"the test period is the last {n_test} snapshot(s){grown} to hold at least "
            f"{need} leavers: {plan.test.name}, {held} leavers{short}"
        )
        plan = replace(plan, test_note=note)
    return plan


def _rolling(values: np.ndarray, n_test: int, n_val: int, horizon_days: int | None) -> Plan:
    distinct = np.unique(values)
    need = n_test + n_val + 1
    if len(distinct) < need:
        raise TableError(
            f"a temporal split needs at least {need} distinct snapshots "
            f"({n_test} test, {n_val} validation, 1+ train); "
            f"the table has {len(distinct)}"
        )
    test_times = distinct[-n_test:]
    val_times = distinct[-need + 1 : -n_test]

    def fold(targets: np.ndarray) -> Fold:
        train = _closed_before(values, targets[0], horizon_days)
        if not train.any():
            window = f"{horizon_days}-day label window" if horizon_days else "label"
            raise TableError(
                f"no snapshot before {time_label(targets[0])} has its {window} closed by then: "
                "the horizon reaches a later snapshot; use a shorter horizon_days or "
                "snapshots further apart"
            )
        return Fold(", ".join(map(time_label, targets)), train, np.isin(values, targets))

    test = fold(test_times)
    folds, skipped = [], []
    for t in val_times:
        if _closed_before(values, t, horizon_days).any():
            folds.append(fold(np.array([t])))
        else:
            skipped.append(f"{time_label(t)}: no earlier label window had closed by then")
    if not folds:
        raise TableError(
            f"no validation snapshot ({', '.join(map(time_label, val_times))}) has an earlier "
            f"snapshot whose {horizon_days}-day label window closed before it: the horizon "
            "reaches a later snapshot; use a shorter horizon_days or more snapshots"
        )
    split = Split(
        "temporal",
        test.train,
        np.isin(values, val_times),
        test.target,
        [time_label(t) for t in np.unique(values[test.train])],
        [time_label(t) for t in val_times],
        [time_label(t) for t in test_times],
    )
    return Plan(folds, test, split, skipped)


def stratified_plan(
    labels: np.ndarray, spec: SplitSpec, seed: int, groups: np.ndarray | None = None
) -> Plan:
    """One validation fold (train -> validation) and the test (train + validation -> test)."""
    split = stratified_split(labels, spec, seed, groups)
    folds = [Fold("validation part", split.train, split.validation)]
    return Plan(folds, Fold("test part", split.train | split.validation, split.test), split)


def stratified_split(
    labels: np.ndarray, spec: SplitSpec, seed: int, groups: np.ndarray | None = None
) -> Split:
    """A seeded random split keeping the share of positives equal in each part.

    With `groups` (student ids) that repeat, whole students go to one part, so that no
    student is trained on and tested on: the split is drawn over students, stratified by
    whether the student ever left.
    """
    if groups is not None and len(pd.unique(groups)) < len(groups):
        ids, inverse = np.unique(groups.astype(str), return_inverse=True)
        ever = np.zeros(len(ids), dtype=int)
        np.maximum.at(ever, inverse, labels.astype(int))
        by_student = stratified_split(ever, spec, seed)
        return Split(
            "stratified",
            by_student.train[inverse],
            by_student.validation[inverse],
            by_student.test[inverse],
            [],
            [],
            [],
        )
    n = len(labels)
    index = np.arange(n)
    stratify = labels if np.bincount(labels, minlength=2).min() >= 3 else None
    rest, test = train_test_split(
        index, test_size=spec.test_share, random_state=seed, stratify=stratify
    )
    val_share = spec.validation_share / (1 - spec.test_share)
    rest_stratify = labels[rest] if stratify is not None else None
    train, val = train_test_split(
        rest, test_size=val_share, random_state=seed, stratify=rest_stratify
    )
    masks = [np.zeros(n, dtype=bool) for _ in range(3)]
    for mask, rows in zip(masks, (train, val, test), strict=True):
        mask[rows] = True
    return Split("stratified", *masks, [], [], [])
