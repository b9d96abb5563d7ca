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
