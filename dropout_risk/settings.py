"""One typed settings object, read from the environment when asked for (never at import)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where a run keeps its state, and how it reaches MLflow and the score store.

    Everything a run writes lives under `home`: MLflow's SQLite store and artifacts,
    the score store and the quarantine.
    """

    model_config = SettingsConfigDict(env_prefix="DROPOUT_RISK_", extra="ignore")

    home: Path = Path(".dropout-risk")
    db: str | None = None
    """Score store URL; SQLite under the home folder when unset."""
    mlflow_tracking_uri: str | None = None
    """Overrides the default SQLite store; MLFLOW_TRACKING_URI is honoured too."""
    env: Literal["development", "production"] = "development"
    model_name: str = "dropout-risk"
    champion_alias: str = "champion"
    model_poll_seconds: float = 30.0
    """How often the server checks whether the champion alias moved (0: never)."""
    cases_absent_days: int = 10
    """Consecutive unexcused absent school days that open a suspected case."""
    cases_close_days: int = 90
    """Days a returned child stays in school before the case closes."""

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, home: Path) -> Path:
        return home.expanduser().resolve()

    @model_validator(mode="after")
    def _safe_outside_development(self) -> Settings:
        if self.env == "production" and self.database_url.startswith("sqlite"):
            raise ValueError(
                "DROPOUT_RISK_DB must name a PostgreSQL database when DROPOUT_RISK_ENV=production"
            )
        return self

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def database_url(self) -> str:
        return self.db or f"sqlite:///{self.home / 'scores.sqlite'}"

    @property
    def tracking_uri(self) -> str:
        import os

        return (
            self.mlflow_tracking_uri
            or os.environ.get("MLFLOW_TRACKING_URI")
            or f"sqlite:///{self.home / 'mlflow.sqlite'}"
        )

    @property
    def artifact_dir(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def model_cache_dir(self) -> Path:
        return self.home / "model-cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
