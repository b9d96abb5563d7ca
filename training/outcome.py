"""What a train or evaluate run hands back: the run, the version, the evaluation, the report,
and whether (and why) it was promoted; `to_json` is the CLI's --json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training import registry
from training.evaluation import Evaluation


@dataclass
class Outcome:
    """What a train or evaluate run produced, for the CLI's summary and --json."""

    run_id: str
    model_version: str | None
    evaluation: Evaluation
    report_path: Path
    promoted: bool = False
    promotion: str | None = None
    model_name: str = registry.MODEL_NAME

    def to_json(self) -> dict[str, Any]:
        ev = self.evaluation
        m = ev.model
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "family": ev.family,
            "candidate": ev.chosen,
        }
        for key in ("roc_auc", "pr_auc", "precision_at_k", "recall_at_k", "brier", "ece"):
            out[key] = _finite(m.get(key))
        out["k"] = int(m["k"])
        out["baselines"] = {
            name: {
                key: _finite(b.get(key))
                for key in ("roc_auc", "pr_auc", "precision_at_k", "recall_at_k")
            }
            for name, b in ev.baselines.items()
        }
        metric = ev.spec.promote_metric
        out["margins"] = {name: _finite(v) for name, v in ev.margins(metric).items()}
        if ev.selection is not None:
            out["selection"] = {
                name: {k: _finite(v) for k, v in row.items()}
                for name, row in ev.selection.to_dict("index").items()
            }
        out["promoted"] = self.promoted
        out["promotion"] = self.promotion
        out["report"] = str(self.report_path)
        return out


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)
