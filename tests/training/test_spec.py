"""Model specs: the shipped ones load; bad ones fail with a message naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from training.errors import SpecError
from training.spec import Capacity, load_spec, parse_spec

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((REPO / "models").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_specs_load(path: Path) -> None:
    spec = load_spec(path)
    assert spec.name
    assert spec.capacity.k(1000) >= 1


def _spec(**changes: object) -> dict:
    data = yaml.safe_load((REPO / "models" / "lightgbm.yaml").read_text())
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"calibraton": "isotonic"}, "calibraton: unknown key"),
        ({"calibration": "beta"}, "calibration"),
        ({"capacity": {"count": 100, "share": 0.1}}, "capacity: give exactly one"),
        ({"capacity": {"share": 1.5}}, "capacity.share"),
        ({"horizon_days": -3}, "horizon_days"),
        ({"snapshots": ["2023-09-01", "not a date", "2024-09-01"]}, "snapshots"),
        ({"lightgbm": {"params": {"objective": "regression"}}}, "lightgbm.params"),
        ({"lightgbm": {"monotone": {"unexcused_rate_30d": 2}}}, "lightgbm.monotone"),
        ({"baselines": {"abc_flags": [{"indicator": "x", "op": "~", "value": 1}]}}, "op"),
    ],
)
def test_bad_spec_names_the_key(changes: dict, named: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(_spec(**changes), source="my.yaml")
    assert "my.yaml" in str(info.value)
    assert named in str(info.value)


def test_missing_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)


def test_capacity_count_and_share() -> None:
    assert Capacity(count=50).k(1000) == 50
    assert Capacity(count=50).k(20) == 20
    assert Capacity(share=0.05).k(1000) == 50
    assert Capacity(share=0.05).k(10) == 1


def test_spec_round_trips_through_yaml() -> None:
    spec = load_spec(REPO / "models" / "lightgbm.yaml")
    assert parse_spec(yaml.safe_load(spec.to_yaml())) == spec
