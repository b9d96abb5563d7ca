"""Train / validation / test: temporal by snapshot when time is known, else stratified."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from training.errors import TableError
from training.spec import SplitSpec


@dataclass(frozen=True)
class Split:
    """Boolean row masks for the three parts, and the snapshot dates each holds."""

    kind: str  # "temporal" or "stratified"
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    train_times: list[pd.Timestamp]
    validation_times: list[pd.Timestamp]
    test_times: list[pd.Timestamp]

    def describe(self) -> str:
        if self.kind == "stratified":
            return (
                f"stratified random split: {int(self.train.sum()):,} train, "
                f"{int(self.validation.sum()):,} validation, {int(self.test.sum()):,} test rows"
            )

        def days(ts: list[pd.Timestamp]) -> str:
            return ", ".join(t.strftime("%Y-%m-%d") for t in ts)

        return (
            f"temporal split: train on {days(self.train_times)}; validate on "
            f"{days(self.validation_times)}; test on {days(self.test_times)}"
        )


def temporal_split(times: pd.Series, spec: SplitSpec) -> Split:
    """The last `test_snapshots` dates test, the `validation_snapshots` before them validate."""
    distinct = sorted(pd.to_datetime(times).unique())
    need = spec.test_snapshots + spec.validation_snapshots + 1
    if len(distinct) < need:
        raise TableError(
            f"a temporal split needs at least {need} distinct snapshot dates "
            f"({spec.test_snapshots} test, {spec.validation_snapshots} validation, 1+ train); "
            f"the table has {len(distinct)}"
        )
    stamps = [pd.Timestamp(t) for t in distinct]
    test_times = stamps[-spec.test_snapshots :]
    val_times = stamps[-need + 1 : -spec.test_snapshots]
    train_times = stamps[: -need + 1]
    values = pd.to_datetime(times).to_numpy()
    return Split(
        "temporal",
        np.isin(values, np.array(train_times, dtype="datetime64[ns]")),
        np.isin(values, np.array(val_times, dtype="datetime64[ns]")),
        np.isin(values, np.array(test_times, dtype="datetime64[ns]")),
        train_times,
        val_times,
        test_times,
    )


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
