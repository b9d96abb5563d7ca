"""The one explainer and the one describer: which indicators raise a risk, in plain words.

Batch scoring, on-demand scoring, the report and notebooks all call `top_factors` on the
model's float matrix; the words come from `describe` (the indicator catalogue when the
indicator is catalogued, else "name: value").
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from training.scorer import RiskScorer

Value = float | int | bool | str | None


@functools.lru_cache(maxsize=1 << 16)
def describe(name: str, value: Value, lang: str) -> str:
    """An indicator and its value in English ("en") or Chinese ("zh")."""
    try:
        from features.catalogue import CATALOGUE
        from features.catalogue import describe as catalogued
    except ImportError:  # a plain table trained without the feature pipeline installed
        CATALOGUE, catalogued = {}, None
    if catalogued is not None and name in CATALOGUE:
        try:
            return catalogued(name, value, lang)  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError):
            pass
    shown = "unknown" if value is None else value
    return f"{name.replace('_', ' ')}: {shown}" if lang == "en" else f"{name}：{shown}"


def _number(code: float) -> Value:
    return int(code) if code.is_integer() else round(code, 4)


def readers(
    features: list[str], categorical: dict[str, list[str]]
) -> list[Callable[[float], Value]]:
    """Per feature, how a matrix cell reads back in the row's words (level, bool, number)."""
    try:
        from features.catalogue import CATALOGUE
    except ImportError:
        CATALOGUE = {}

    def level(levels: list[str]) -> Callable[[float], Value]:
        return lambda code: levels[int(code)]

    out: list[Callable[[float], Value]] = []
    for name in features:
        levels = categorical.get(name)
        indicator = CATALOGUE.get(name)
        if levels is not None:
            out.append(level(levels))
        elif indicator is not None and indicator.dtype == "bool":
            out.append(bool)
        else:
            out.append(_number)
    return out


def top_factors(scorer: RiskScorer, x: np.ndarray, k: int = 5) -> list[list[dict[str, Any]]]:
    """Per row, up to k indicators that raise the risk most, in zh and en.

    Contributions are the model family's own (TreeSHAP, or coefficient × centred value);
    ties between equal contributions go to the indicator listed first in the model.
    """
    n_features = x.shape[1]
    contrib = scorer.contributions_matrix(x)[:, :n_features]
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(contrib, order, axis=1)
    cells = np.take_along_axis(x, order, axis=1)
    features = scorer.features
    read = readers(features, scorer.categorical)
    out = []
    for js, cs, vs in zip(order.tolist(), top.tolist(), cells.tolist(), strict=True):
        factors = []
        for j, c, v in zip(js, cs, vs, strict=True):
            if c <= 0:
                break
            name = features[j]
            value = None if math.isnan(v) else read[j](v)
            factors.append(
                {
                    "indicator": name,
                    "value": value,
                    "contribution": round(c, 6),
                    "en": describe(name, value, "en"),
                    "zh": describe(name, value, "zh"),
                }
            )
        out.append(factors)
    return out
