"""GET /v1/not-enrolled: the latest reconciliation's children to visit, scoped like the list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from dropout_risk.settings import get_settings
from features.reconcile.output import write_outputs
from features.reconcile.run import reconcile
from features.validate import load_tables
from serving.app import create_app
from serving.auth import Scope
from serving.lifecycle import ModelLifecycle
from serving.store import ScoreStore
from serving.store.places import Place
from tests.features.test_reconcile import AS_OF, hand_county
from tests.serving.serving_model import make_scorer


def other_county(folder: Path, as_of: str, names: list[str], county: str) -> None:
    """A reconciliation file of another county (or an older run) with the same township."""
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "county": county, "township": "Hongqi", "village": "南湾村", "name": names,
            "age": 9, "status": "not_enrolled", "as_of": pd.Timestamp(as_of),
        }
    ).to_parquet(folder / "residents.parquet")  # fmt: skip


def test_not_enrolled_children_by_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    settings = get_settings()
    found = reconcile(load_tables(hand_county(tmp_path / "county")), AS_OF)
    found.residents["county"] = "Lanxi"
    write_outputs(found, settings.home / "reconcile" / "county-2023-10-15")
    other_county(settings.home / "reconcile" / "old-2022-10-15", "2022-10-15", ["旧名"], "Lanxi")
    other_county(settings.home / "reconcile" / "b-2023-10-15", "2023-10-15", ["甲", "乙"], "B县")

    store = ScoreStore.open(f"sqlite:///{tmp_path / 'scores.sqlite'}")
    # No batch yet: the scopes are checked against these places (serving.store.places).
    places = [Place("Lanxi", "Hongqi", "001"), Place("B县", "Hongqi", "B01")]
    tokens = {
        name: {"Authorization": "Bearer " + store.add_user(name, role, Scope.parse(scope), places)}
        for name, role, scope in [
            ("all", "researcher", "all"),
            ("town", "caseworker", "township:Lanxi/Hongqi"),
            ("b", "caseworker", "county:B县"),
            ("school", "caseworker", "school:001"),
        ]
    }
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(make_scorer("7"), "7")  # the app needs a model in service to start
    with TestClient(create_app(settings, store=store, models=models)) as client:

        def names(who: str, **params: str) -> list[str]:
            got = client.get("/v1/not-enrolled", headers=tokens[who], params=params)
            assert got.status_code == 200, got.text
            return [c["name"] for c in got.json()["children"]]

        town = client.get("/v1/not-enrolled", headers=tokens["town"]).json()
        assert town["as_of"] == "2023-10-15"
        assert [(c["name"], c["village"], c["age"]) for c in town["children"]] == [
            ("李小红", "东坪村", 10),
            ("陈静", "北坪村", 10),
        ]  # by village, then name
        assert names("b") == ["乙", "甲"]  # by name within the village
        assert names("town", county="B县") == []  # a filter outside the scope matches nobody
        assert names("school") == []
        assert sorted(names("all")) == sorted(["陈静", "李小红", "甲", "乙"])  # not the old run
        assert client.get("/v1/not-enrolled").status_code == 401
    store.close()
    get_settings.cache_clear()
