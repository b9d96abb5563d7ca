"""The nuisance learners of the doubly robust estimate, and why they are tuned as they are.

Two classifiers: the chance of leaving without a visit (fitted on the unvisited) and the
chance of a visit (the propensity). Leaving within six months is rare (1–2% of children)
and the visited are few (~5%). A boosted tree with a strong L2 penalty on its leaves
(`reg_lambda=5`, 50 rows a leaf) shrinks the propensity towards the mean: the children
mentors pick come out less certain to be picked than they are, the unvisited who look like
them are weighted too little, and the estimate keeps part of the naive comparison's
confounding. On 30 generated counties per effect (2,000 students, 2 years) that showed as a
bias of +1.1 points at every true effect, none included, and 95% coverage of 0.87 and 0.80.
Swapping learners one at a time located it in the propensity: a freer propensity learner
(below) took the bias to −0.2 to −0.3 points and coverage to 0.97 and 0.93, while a freer
outcome learner alone changed nothing, and logistic regression for both gave propensities
near 0 and 1 and intervals twice as wide (BENCHMARKS.md, "Did the visits work?"). The
outcome learner stays regularised: the rare outcome overfits easily and it moved no bias.

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
    missing indicators as they are); one thread each, since the folds run one by one."""
    import lightgbm as lgb

    common = dict(num_leaves=7, random_state=seed, n_jobs=1, verbose=-1)
    outcome = lgb.LGBMClassifier(
        n_estimators=100, learning_rate=0.05, min_child_samples=50, reg_lambda=5.0, **common
    )
    propensity = lgb.LGBMClassifier(
        n_estimators=150, learning_rate=0.1, min_child_samples=20, reg_lambda=1.0, **common
    )
    return BothClasses(outcome), BothClasses(propensity)
