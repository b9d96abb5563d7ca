"""`dropout-risk features` end to end on the synthetic county: files in, Parquet out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from features.build import build_features
from features.catalogue import CATALOGUE, ID_COLUMNS
from features.training_set import build_training_set
from features.validate import load_tables

runner = CliRunner()


def test_one_snapshot_from_a_csv_county(county_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "f" / "features.parquet"
    result = runner.invoke(
        app, ["features", str(county_dir), "--as-of", "2023-03-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert list(frame.columns) == [*ID_COLUMNS, *CATALOGUE]
    assert len(frame) > 300 and frame["student_id"].is_unique
    # A realistic county has each indicator filled for most students at a mid-year date.
    filled = frame[list(CATALOGUE)].notna().mean()
    assert filled.drop(["term_score_change", "distance_km"]).min() > 0.5, filled
    assert frame["absence_rate_30d"].between(0, 1).all()
    assert frame["guardian"].dtype == "category"
    in_memory = build_features(load_tables(county_dir), "2023-03-01")
    pd.testing.assert_frame_equal(frame, in_memory, check_dtype=False)


def test_training_set_with_term_starts(county_parquet_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "train.parquet"
    result = runner.invoke(
        app,
        ["features", str(county_parquet_dir), "--snapshots", "term_start", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "dropped" in result.output  # the last term starts have no full label window
    frame = pd.read_parquet(out)
    with pytest.warns(UserWarning, match="dropped"):
        expected = build_training_set(load_tables(county_parquet_dir), "term_start")
    assert sorted(frame["as_of"].unique()) == expected.snapshots
    assert len(expected.snapshots) >= 4 and expected.dropped
    assert frame["label"].sum() > 0 and frame["label"].mean() < 0.2
    # Riskier attendance goes with leaving: the synthetic county's main driver.
    by_label = frame.groupby("label")["unexcused_rate_90d"].mean()
    assert by_label[1] > by_label[0]


def test_clear_errors(county_parquet_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.parquet")
    cases = {
        "not a date": ["--as-of", "2023-02-30"],
        "outside the data": ["--as-of", "2035-01-01"],
        "either --as-of": [],
        "label window": ["--snapshots", "2030-01-01,2031-01-01"],
    }
    for message, extra in cases.items():
        result = runner.invoke(app, ["features", str(county_parquet_dir), "--out", out, *extra])
        assert result.exit_code == 1, (message, result.output)
        assert message in result.output, (message, result.output)
        assert "Traceback" not in result.output
    assert not Path(out).exists()
