"""Evaluation metrics: ranking quality, quality at the visit capacity, calibration, stability.

Tie rule (stated in every report): students are ranked by risk, highest first; students
with exactly the same risk are ordered by the first 8 bytes of BLAKE2b(student_id),
smallest first. The order is thus stable across runs and machines, unrelated to the
student's characteristics, and the same for the model and the rule baselines (whose
scores tie a lot). Capacity and top-p% lists are taken per snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

TIE_RULE = (
    "Students are ranked by score, highest first; equal scores are ordered by the first "
    "8 bytes of BLAKE2b(student_id), smallest first (stable, and unrelated to the student)."
)
TOP_SHARES = (0.01, 0.05, 0.10)


def tie_keys(ids: np.ndarray) -> np.ndarray:
    """The tie-breaking key of each id (see TIE_RULE)."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=8).digest(), "big")
            for i in ids
        ),
        dtype=np.uint64,
        count=len(ids),
    )


def rank_order(scores: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row positions from highest score to lowest, ties by key (see TIE_RULE)."""
    return np.lexsort((keys, -np.asarray(scores, dtype=np.float64)))


def flag_top(
    scores: np.ndarray,
    keys: np.ndarray,
    k_of: Callable[[int], int],
    snapshots: np.ndarray | None = None,
) -> np.ndarray:
    """Mask of the top k_of(n) rows of each snapshot (the whole set when no snapshots)."""
    flagged = np.zeros(len(scores), dtype=bool)
    groups = [np.arange(len(scores))] if snapshots is None else _groups(snapshots)
    for rows in groups:
        order = rows[rank_order(scores[rows], keys[rows])]
        flagged[order[: k_of(len(rows))]] = True
    return flagged


def _groups(snapshots: np.ndarray) -> list[np.ndarray]:
    _, inverse = np.unique(snapshots, return_inverse=True)
    return [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)] if len(inverse) else []


def at_flagged(y: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    """Precision, recall and lift of a flagged list."""
    positives = int(y.sum())
    hits = int(y[flagged].sum())
    n_flagged = int(flagged.sum())
    precision = hits / n_flagged if n_flagged else float("nan")
    base = positives / len(y) if len(y) else float("nan")
    return {
        "precision": precision,
        "recall": hits / positives if positives else float("nan"),
        "lift": precision / base if base else float("nan"),
        "flagged": n_flagged,
        "caught": hits,
    }


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE over equal-width risk bins: the share-weighted gap between predicted and observed."""
    table = reliability_table(y, p, bins)
    n = table["count"].sum()
    return float((table["count"] / n * (table["observed"] - table["predicted"]).abs()).sum())


def reliability_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per equal-width risk bin: students, mean predicted risk, observed share who left."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "p": p, "y": y})
    out = frame.groupby("bin").agg(
        count=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    out["low"], out["high"] = edges[out.index], edges[out.index + 1]
    return out.reset_index()


def decile_table(y: np.ndarray, p: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
    """Students split into ten equal groups by rank (1 = highest risk): who left, per group."""
    order = rank_order(p, keys)
    decile = np.empty(len(p), dtype=int)
    decile[order] = np.arange(len(p)) * 10 // max(len(p), 1) + 1
    frame = pd.DataFrame({"decile": decile, "p": p, "y": y})
    out = frame.groupby("decile").agg(
        students=("y", "size"), left=("y", "sum"), observed=("y", "mean"), predicted=("p", "mean")
    )
    out["share_of_leavers"] = out["left"] / max(int(y.sum()), 1)
    return out.reset_index()


def precision_curve(
    y: np.ndarray, p: np.ndarray, keys: np.ndarray, points: int = 50
) -> pd.DataFrame:
    """Precision and recall of the top-k list for k across the population."""
    order = rank_order(p, keys)
    hits = np.cumsum(y[order])
    ks = np.unique(np.linspace(1, len(p), num=min(points, len(p))).astype(int))
    positives = max(int(y.sum()), 1)
    return pd.DataFrame(
        {"k": ks, "precision": hits[ks - 1] / ks, "recall": hits[ks - 1] / positives}
    )


def evaluate_scores(
    y: np.ndarray,
    scores: np.ndarray,
    keys: np.ndarray,
    k_of: Callable[[int], int],
    snapshots: np.ndarray | None = None,
    probabilities: bool = True,
) -> dict[str, float]:
    """All test metrics of one scorer; calibration metrics only when scores are probabilities."""
    y = np.asarray(y, dtype=int)
    scores = np.asarray(scores, dtype=np.float64)
    both = len(np.unique(y)) == 2
    out: dict[str, float] = {
        "rows": float(len(y)),
        "positives": float(y.sum()),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
        "roc_auc": float(roc_auc_score(y, scores)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, scores)) if both else float("nan"),
    }
    at_k = at_flagged(y, flag_top(scores, keys, k_of, snapshots))
    out.update(
        precision_at_k=at_k["precision"],
        recall_at_k=at_k["recall"],
        lift_at_k=at_k["lift"],
        k=float(at_k["flagged"]),
        caught_at_k=float(at_k["caught"]),
    )
    for share in TOP_SHARES:
        tag = f"top{int(share * 100)}pct"
        res = at_flagged(
            y, flag_top(scores, keys, lambda n, s=share: max(1, int(np.ceil(s * n))), snapshots)
        )
        out[f"precision_{tag}"] = res["precision"]
        out[f"recall_{tag}"] = res["recall"]
        out[f"lift_{tag}"] = res["lift"]
    if probabilities:
        out["brier"] = float(brier_score_loss(y, scores))
        out["ece"] = expected_calibration_error(y, scores)
    return out


def _when(value: object) -> object:
    """A snapshot as a Timestamp when it is a date, else as it is (a period label, a number)."""
    return pd.Timestamp(value) if isinstance(value, np.datetime64 | pd.Timestamp) else value


def jaccard_stability(
    scores: np.ndarray,
    keys: np.ndarray,
    ids: np.ndarray,
    snapshots: np.ndarray,
    k_of: Callable[[int], int],
) -> pd.DataFrame:
    """Overlap of consecutive snapshots' top-k lists: |A ∩ B| / |A ∪ B| of student ids."""
    flagged = flag_top(scores, keys, k_of, snapshots)
    dates = np.unique(snapshots)
    rows = []
    for before, after in zip(dates[:-1], dates[1:], strict=True):
        a = set(ids[(snapshots == before) & flagged])
        b = set(ids[(snapshots == after) & flagged])
        union = a | b
        rows.append(
            {
                "from": _when(before),
                "to": _when(after),
                "jaccard": len(a & b) / len(union) if union else float("nan"),
                "kept": len(a & b),
            }
        )
    return pd.DataFrame(rows, columns=["from", "to", "jaccard", "kept"])
