"""Shared fixtures: every test gets its own home folder, so nothing leaks between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dropout_risk.settings import get_settings


@pytest.fixture(autouse=True)
def dropout_risk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh `$DROPOUT_RISK_HOME` per test, with the settings cache cleared around it."""
    home = tmp_path / "home"
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(home))
    monkeypatch.delenv("DROPOUT_RISK_DB", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


# A small synthetic county shared by every test that needs realistic data: generated once
# per session (about a second) and never modified. Copy it before changing files.
COUNTY_STUDENTS, COUNTY_YEARS, COUNTY_SEED, COUNTY_START_YEAR = 600, 4, 1, 2022


@pytest.fixture(scope="session")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV county: ~600 students, school years 2022-2025, seed 1. Read-only."""
    from features.synthetic import generate_county

    out = tmp_path_factory.mktemp("county_csv")
    generate_county(out, students=COUNTY_STUDENTS, years=COUNTY_YEARS, seed=COUNTY_SEED, fmt="csv")
    return out


@pytest.fixture(scope="session")
def county_parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same county as `county_dir`, written as Parquet. Read-only."""
    from features.synthetic import generate_county

    out = tmp_path_factory.mktemp("county_parquet")
    generate_county(
        out, students=COUNTY_STUDENTS, years=COUNTY_YEARS, seed=COUNTY_SEED, fmt="parquet"
    )
    return out
