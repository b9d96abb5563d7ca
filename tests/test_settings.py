"""Settings come from the environment when asked for, and refuse unsafe values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dropout_risk.settings import Settings, get_settings


def test_defaults_live_under_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(tmp_path / "home"))
    settings = Settings()
    assert settings.home == (tmp_path / "home").resolve()
    assert settings.database_url == f"sqlite:///{tmp_path / 'home' / 'scores.sqlite'}"
    assert settings.tracking_uri == f"sqlite:///{tmp_path / 'home' / 'mlflow.sqlite'}"
    assert settings.quarantine_dir.parent == settings.home


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DROPOUT_RISK_DB", "postgresql+psycopg://u@127.0.0.1:5432/scores")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    settings = Settings()
    assert settings.database_url.startswith("postgresql")
    assert settings.tracking_uri == "http://127.0.0.1:5000"


def test_production_refuses_sqlite(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DROPOUT_RISK_ENV", "production")
    monkeypatch.delenv("DROPOUT_RISK_DB", raising=False)
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings()


def test_get_settings_reads_environment_lazily(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    get_settings.cache_clear()
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(tmp_path))
    try:
        assert get_settings().home == tmp_path.resolve()
    finally:
        get_settings.cache_clear()
