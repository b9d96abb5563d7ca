"""The nuisance learners of the doubly robust estimate, and why they are tuned as they are.

Two classifiers: the chance of leaving without a visit (fitted on the unvisited) and the
chance of a visit (the propensity). Leaving within six months is rare (1–2% of children)
and the visited are few (~5%), so a boosted tree with a strong L2 penalty on its leaves
shrinks both towards the mean: the risk of the children mentors pick, and their chance of
being picked, both come out too low, and the doubly robust correction cannot undo two
errors in the same direction. On generated counties with a known effect that showed as a
bias of +1 to +2 points at every true effect, including none (BENCHMARKS.md, "Did the visits
work?"); the settings below remove it at the cost of wider, honest intervals.

A small county can hand a fold's learner one class only (no leaver among the visited rows
it trains on). LightGBM then still answers with two columns while scikit-learn expects one,
and the fit fails with a shape mismatch. `BothClasses` answers for both classes always: a
one-class fold predicts that class's constant, which is the fold's own estimate.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone


class BothClasses(ClassifierMixin, BaseEstimator):
    """A binary classifier that predicts probabilities for classes 0 and 1 even when it was
    trained on rows of a single class."""

    def __init__(self, learner: BaseEstimator) -> None:
        self.learner = learner

    def fit(self, x: object, y: object) -> BothClasses:
        labels = np.asarray(y, dtype=float)
        self.classes_ = np.array([0, 1])
        seen = np.unique(labels)
        if len(seen) < 2:
            self.learner_ = None
            self.constant_ = float(seen[0]) if len(seen) else 0.0
        else:
            self.learner_ = clone(self.learner).fit(x, labels)
        return self

    def predict_proba(self, x: object) -> np.ndarray:
        if self.learner_ is None:
            p = np.full(len(x), self.constant_)  # type: ignore[arg-type]
        else:
            p = self.learner_.predict_proba(x)[:, 1]
        return np.column_stack([1.0 - p, p])

    def predict(self, x: object) -> np.ndarray:
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)


def nuisance_learners(seed: int) -> tuple[BothClasses, BothClasses]:
    """(outcome learner, propensity learner): LightGBM, the project's learner (it takes the
    missing indicators as they are)."""
    import lightgbm as lgb

    params = dict(
        n_estimators=100,
        learning_rate=0.05,
        num_leaves=7,
        min_child_samples=50,
        reg_lambda=5.0,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
    )
    return BothClasses(lgb.LGBMClassifier(**params)), BothClasses(lgb.LGBMClassifier(**params))
