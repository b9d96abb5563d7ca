"""Score-store fixtures: the same tests run on a real SQLite file and a real PostgreSQL.

PostgreSQL comes from DROPOUT_RISK_TEST_PG when given, else tests/scripts/postgres.sh
installs (Debian package, if missing) and starts a throwaway server on 127.0.0.1. Each
test gets its own schema, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from serving.store import ScoreStore

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database URL for the session: the given one, or a server we start."""
    given = os.environ.get("DROPOUT_RISK_TEST_PG")
    if given:
        yield given
        return
    state = tmp_path_factory.mktemp("postgres")
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(state)], capture_output=True, text=True, timeout=600
    )
    if started.returncode != 0:
        pytest.skip(
            "PostgreSQL could not be installed or started by tests/scripts/postgres.sh: "
            + started.stderr.strip()[-500:]
        )
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(state)], capture_output=True, timeout=120)


def _schema_url(base: str) -> tuple[str, str]:
    """A fresh schema in the test database and a URL whose search_path points at it."""
    schema = "t_" + uuid.uuid4().hex[:12]
    url = make_url(base).set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    query = dict(url.query)
    query["options"] = f"-csearch_path={schema}"
    return url.set(query=query).render_as_string(hide_password=False), schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty score store on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scores.sqlite'}"
        return
    base = request.getfixturevalue("postgres_url")
    url, schema = _schema_url(base)
    yield url
    engine = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[ScoreStore]:
    """An upgraded, empty score store."""
    opened = ScoreStore.open(store_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated MLflow store with two registered versions, built once per session."""
    from tests.serving.serving_model import build_registry

    folder = tmp_path_factory.mktemp("registry")
    build_registry(folder)
    return folder


@pytest.fixture
def registry_uri(registry_template: Path, tmp_path: Path) -> str:
    """A private copy of the registry (the artifacts stay shared and read-only)."""
    import shutil

    target = tmp_path / "mlflow.sqlite"
    shutil.copy(registry_template / "mlflow.sqlite", target)
    return f"sqlite:///{target}"
