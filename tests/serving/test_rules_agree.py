"""One tie rule and one tier rule: the report's top-k, the batch and POST /v1/score agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from dropout_risk.settings import get_settings
from serving.app import create_app
from serving.auth import Scope
from serving.lifecycle import ModelLifecycle
from serving.scoring import score_frame
from serving.store import ScoreStore
from tests.training.conftest import fast
from training import metrics, tiers
from training.evaluation import RISK
from training.fit import Fitted, fit_and_evaluate
from training.spec import load_spec
from training.synthetic import synthetic_table

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    # Isotonic calibration maps many students onto the same risk: ties the rules must break.
    spec = fast(load_spec(REPO / "models" / "lightgbm.yaml"), calibration="isotonic")
    table = synthetic_table(students=900, snapshots=4, seed=11)
    return fit_and_evaluate(table, spec, label="label", time_column="as_of")


def _json_rows(frame: pd.DataFrame, features: list[str]) -> list[dict]:
    rows = []
    for record in frame[features].astype(object).to_dict("records"):
        rows.append({k: (None if pd.isna(v) else v) for k, v in record.items()})
    for row in rows:
        for key, value in row.items():
            if isinstance(value, np.generic):
                row[key] = value.item()
    return rows


def test_report_batch_and_on_demand_scoring_rank_and_tier_alike(
    fitted: Fitted, tmp_path: Path
) -> None:
    ev, scorer = fitted.evaluation, fitted.scorer
    test = ev.test
    risk = test[RISK].to_numpy()
    assert len(np.unique(risk)) < len(risk) / 2  # ties there are, many
    keys = metrics.tie_keys(ev.test_ids)
    flagged = metrics.flag_top(risk, keys, ev.spec.capacity.k, None)

    batch_input = test.assign(school_id="0001", township="T", county="C", grade=7)
    batch = score_frame(scorer, batch_input, k=2).sort_values("rank_in_county")
    # The report's ten highest and the batch's first ten: the same students in the same order.
    assert batch["student_id"].head(10).tolist() == ev.top_students["id"].tolist()
    top_k = set(batch.loc[batch["rank_in_county"] <= ev.k, "student_id"])
    assert top_k == set(ev.test_ids[flagged])
    # A tie at the capacity's edge is decided by the hash, not by the id's order.
    order = np.lexsort((batch["student_id"].to_numpy(), -batch["risk"].to_numpy()))
    assert batch["student_id"].to_numpy()[order].tolist() != batch["student_id"].tolist()

    by_id = batch.set_index("student_id")
    ids = test["student_id"].astype(str).to_numpy()
    evaluated = tiers.assign(risk, scorer.meta["tier_thresholds"])
    assert by_id.loc[ids, "tier"].tolist() == evaluated.tolist()
    assert set(evaluated) == {"high", "medium", "low"}

    store = ScoreStore.open(f"sqlite:///{tmp_path / 'scores.sqlite'}")
    token = store.add_user("r", "researcher", Scope.parse("all"))
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(scorer, "1")
    sample = test.iloc[np.linspace(0, len(test) - 1, 120).astype(int)]
    with TestClient(create_app(get_settings(), store=store, models=models)) as client:
        got = client.post(
            "/v1/score",
            json={"rows": _json_rows(sample, scorer.features), "top_k": 2},
            headers={"Authorization": f"Bearer {token}"},
        )
    store.close()
    assert got.status_code == 200, got.text
    scores = got.json()["scores"]
    sample_ids = sample["student_id"].astype(str)
    np.testing.assert_allclose([s["risk"] for s in scores], by_id.loc[sample_ids, "risk"])
    assert [s["tier"] for s in scores] == by_id.loc[sample_ids, "tier"].tolist()

    # One explainer: an indicator shown by both carries the same contribution. (Which ones
    # are shown may differ: a batch compares the child with the school's average, which a
    # single posted row cannot; see serving.reasons.)
    def reasons(factors: list[dict]) -> dict[str, float]:
        return {f["indicator"]: f["contribution"] for f in factors if f["kind"] == "reason"}

    shared = 0
    for posted, batch in zip(scores, by_id.loc[sample_ids, "factors"], strict=True):
        a, b = reasons(posted["factors"]), reasons(batch)
        for name in a.keys() & b.keys():
            assert a[name] == b[name], name
            shared += 1
    assert shared >= len(scores)  # the comparison is not empty
