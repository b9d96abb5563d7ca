"""Promotion: the chosen model becomes champion only when it is the honest winner.

It must beat, on the test snapshot and the promote metric, every scorer `must_beat`
names that the data could run (the rules, the environment model), and then the current
champion re-scored on the same test rows. Whatever its family. A registry error is an
error, never "no champion yet".
"""

from __future__ import annotations

from training import metrics, registry
from training.baselines import NAMES
from training.candidates import FAMILY_NAMES
from training.evaluation import Evaluation
from training.scorer import RiskScorer


def _label(name: str) -> str:
    return NAMES.get(name, FAMILY_NAMES.get(name, name))


def against_bars(ev: Evaluation, version: str) -> tuple[bool, str]:
    """Does the chosen model beat every bar it must? (False, why) when not."""
    metric = ev.spec.promote_metric
    margins = ev.margins(metric)
    lost = [n for n in ev.spec.must_beat if n in margins and margins[n] <= 0]
    if lost:
        shown = ", ".join(f"{_label(n)} ({margins[n]:+.4f})" for n in lost)
        return False, f"version {version} does not beat {shown} on test {metric}; not promoted"
    return True, ""


def decide(
    ev: Evaluation, version: str, tracking_uri: str, model_name: str = registry.MODEL_NAME
) -> tuple[bool, str]:
    """Should `version` replace the champion of `model_name`? And why, in one sentence."""
    ok, why = against_bars(ev, version)
    if not ok:
        return False, why
    metric = ev.spec.promote_metric
    family = FAMILY_NAMES.get(ev.family, ev.family)
    margins = ev.margins(metric)
    beaten = ", ".join(
        f"{_label(n)} by {margins[n]:+.4f}" for n in ev.spec.must_beat if n in margins
    )
    won = f"{family} ({ev.chosen}) won on validation and beats {beaten or 'no bar'} on {metric}"
    current = registry.champion_version(tracking_uri, model_name)
    if current is None:
        return True, f"{won}; no champion yet: version {version} becomes the champion"
    if current == version:
        return False, f"version {version} is already the champion"
    champion = RiskScorer.load(f"models:/{model_name}/{current}", tracking_uri)
    missing = [f for f in champion.features if f not in ev.test.columns]
    if missing:
        return False, (
            f"the champion (version {current}) cannot score this test set (it lacks "
            f"{', '.join(missing[:5])}); it stays champion, version {version} is not promoted"
        )
    test = ev.test
    snaps = test[ev.time_column].to_numpy() if ev.time_column else None
    old = metrics.evaluate_scores(
        test[ev.label].to_numpy(dtype=int),
        champion.predict(test),
        metrics.tie_keys(ev.test_ids),
        ev.spec.capacity.k,
        snaps,
    )[metric]
    new = ev.model[metric]
    if new > old:
        return True, (
            f"{won}; it beats the champion (version {current}) on the same test set: "
            f"{metric} {new:.4f} vs {old:.4f} ({new - old:+.4f}); promoted to champion"
        )
    return False, (
        f"version {version} does not beat the champion (version {current}) on the same test "
        f"set: {metric} {new:.4f} vs {old:.4f}; the champion stays version {current}"
    )
