"""Why children leave: the risk model, the reason recorded, and whether they come back.

The yearly risk is a log-linear model of the same latent factors that the indicators
can observe (poverty, parents away, over-age, repeats, distance, disability, rural
teenagers' work and marriage pressure) plus hidden ability, engagement and an
unobserved propensity, so that a model can learn it but never perfectly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.contract import DROPOUT_REASONS

_R = {name: i for i, name in enumerate(DROPOUT_REASONS)}
# Log-risk intercept by grade: rare in primary school, a real risk in junior school,
# highest in grade 8 when the pull of work and marriage peaks.
_GRADE_INTERCEPT = np.array([0, -7.3, -7.3, -7.3, -7.2, -7.1, -6.9, -4.9, -4.7, -4.9])
_DISABILITY_RISK = np.array([0.0, 0.9, 0.9, 0.9, 1.7, 1.9, 0.9])
# Chance to come back, by reason: mentors bring many back, a married girl rarely.
_RETURN_P = {
    "child_labor": 0.3,
    "learning_difficulty": 0.35,
    "early_marriage": 0.06,
    "religious": 0.1,
    "disability": 0.15,
    "family_poverty": 0.4,
    "illness": 0.6,
    "migration": 0.2,
    "other": 0.25,
    "unknown": 0.15,
}
RETURN_P = np.array([_RETURN_P[r] for r in DROPOUT_REASONS])


@dataclass(frozen=True)
class RiskInputs:
    """What drives one school year's risk, one entry per enrolled child."""

    grade: np.ndarray
    age: np.ndarray  # whole years on 1 September
    female: np.ndarray
    rural: np.ndarray
    remote: np.ndarray
    disability: np.ndarray
    over_age: np.ndarray  # years older than the grade's usual age
    repeats: np.ndarray
    ability: np.ndarray
    engagement: np.ndarray
    propensity: np.ndarray
    km: np.ndarray
    boarding: np.ndarray
    sibling_out: np.ndarray
    returned_before: np.ndarray


def static_log_risk(x: RiskInputs) -> np.ndarray:
    """The part of the yearly log-risk that does not change during the year."""
    teen = x.age >= 14
    lp = _GRADE_INTERCEPT[x.grade] + 0.45 * np.clip(x.over_age, 0, 3) + 0.5 * x.repeats
    lp += -0.2 * x.ability - 0.3 * x.engagement + x.propensity
    # Disengagement and learning difficulty act past a threshold, and over-age weighs most
    # in junior school: the step-like patterns early-warning research reports (chronic
    # absence, repeated course failure), which a purely additive score cannot follow.
    lp += 1.1 * (x.engagement < -1.0) + 0.8 * (x.ability < -1.2)
    lp += 0.7 * ((x.over_age >= 2) & (x.grade >= 7))
    lp += _DISABILITY_RISK[x.disability] + 0.35 * x.rural
    lp += 0.035 * np.clip(x.km - 3, 0, 30) * ~x.boarding + 0.15 * (x.boarding & (x.grade <= 6))
    lp += 0.7 * x.sibling_out + 0.9 * x.returned_before
    lp += np.where(teen & x.rural & ~x.female, 0.3, 0.0)
    lp += np.where(teen & x.rural & x.female, 0.25 + 0.35 * x.remote, 0.0)
    return lp + np.where(x.grade == 7, 0.2, 0.0)


def household_log_risk(
    poor: np.ndarray, allowance: np.ndarray, left_behind: np.ndarray, x: RiskInputs
) -> np.ndarray:
    """The part of the log-risk that follows the household record (changes mid-year)."""
    lp = 0.85 * poor + 0.25 * allowance
    lp += np.where(left_behind == 2, 0.6, np.where(left_behind == 1, 0.3, 0.0))
    # Poor rural teenagers are pulled into work.
    return lp + 0.8 * (poor & x.rural & (x.age >= 14))


def draw_reasons(
    rng: np.random.Generator,
    x: RiskInputs,
    poor: np.ndarray,
    allowance: np.ndarray,
    left_behind: np.ndarray,
    decline: np.ndarray,
) -> np.ndarray:
    """The recorded reason of each leaver, drawn in proportion to what drove the leaving."""
    n = len(x.grade)
    teen = x.age >= 14
    w = np.zeros((n, len(DROPOUT_REASONS)))
    w[:, _R["child_labor"]] = (poor & x.rural & (x.age >= 13)) * np.where(x.female, 1.2, 2.5)
    w[:, _R["child_labor"]] += 0.25 * teen * x.rural
    w[:, _R["early_marriage"]] = (x.female & teen & x.rural) * (0.6 + 1.2 * x.remote + 0.8 * poor)
    struggling = np.clip(-x.ability - 0.5 * x.engagement, 0, None)
    w[:, _R["learning_difficulty"]] = 0.1 + 0.4 * struggling + 0.8 * np.clip(decline, 0, None)
    w[:, _R["learning_difficulty"]] += 0.2 * (x.repeats > 0)
    w[:, _R["disability"]] = (x.disability > 0) * 4.0
    w[:, _R["family_poverty"]] = 1.2 * poor + 0.5 * allowance
    w[:, _R["illness"]] = 0.15
    w[:, _R["migration"]] = 0.1 + 0.4 * (left_behind == 2) + 0.15 * (left_behind == 1)
    w[:, _R["religious"]] = 0.03
    w[:, _R["other"]] = 0.15
    w[:, _R["unknown"]] = 0.12
    cum = np.cumsum(w, axis=1)
    u = rng.random(n) * cum[:, -1]
    return (cum < u[:, None]).sum(axis=1)


def draw_returns(rng: np.random.Generator, reason: np.ndarray, left_on: np.ndarray) -> np.ndarray:
    """The date each leaver comes back, or NaT for those who do not."""
    n = len(reason)
    comes_back = rng.random(n) < RETURN_P[reason]
    delay = 14 + rng.gamma(2.0, 45.0, n).astype(int)
    back = left_on + delay
    return np.where(comes_back, back, np.datetime64("NaT"))
