"""Property-based API test (schemathesis) against the running app's own OpenAPI schema, with
a case worker's token: no 500 anywhere, and every documented answer matches the schema.
Also: the schema and docs are behind a token and served from local files (finding 9)."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from dropout_risk.settings import get_settings
from serving.app import create_app
from serving.auth import Scope
from serving.lifecycle import ModelLifecycle
from serving.store import ScoreStore
from tests.e2e.live_server import free_port
from tests.serving.serving_model import make_scorer
from tests.serving.serving_rows import AS_OF, county_rows

_state: dict = {}


def _app(tmp: Path):
    store = ScoreStore.open(f"sqlite:///{tmp / 'scores.sqlite'}", buffered_audit=True)
    store.publish_batch(AS_OF, "7", county_rows(60))
    token = store.add_user("w0", "caseworker", Scope.parse("township:T0"))
    models = ModelLifecycle("http://127.0.0.1:9", tmp / "cache", poll_seconds=0)
    models.use(make_scorer("7"), "7")
    return create_app(get_settings(), store=store, models=models), store, token


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """The app served by uvicorn on a free loopback port (real HTTP), and a worker's token."""
    app, store, token = _app(tmp_path_factory.mktemp("schema"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.1)
    with httpx.Client(base_url=base) as client:
        yield client, token, base
    server.should_exit = True
    thread.join(timeout=30)
    store.close()


def test_the_schema_and_docs_need_a_token_and_no_cdn(live) -> None:
    client, token, _ = live
    assert client.get("/openapi.json").status_code == 401
    shell = client.get("/docs")
    assert shell.status_code == 200 and "http" not in shell.text.replace("http-equiv", "")
    assert client.get("/docs/ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404
    got = client.get("/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and "/v1/watchlist" in got.json()["paths"]


def _exercise(operation, base: str, auth: dict[str, str], failures: list[str]) -> None:  # noqa: ANN001
    @settings(
        max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:  # noqa: ANN001
        response = case.call(base_url=base, headers=auth)
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except Exception as exc:  # noqa: BLE001 (collected, reported together)
            failures.append(f"{operation.label}: {str(exc)[:400]}")
            raise

    with contextlib.suppress(Exception):  # recorded in `failures`
        run()


def test_the_api_keeps_its_schema_under_generated_requests(live) -> None:
    client, token, base = live
    auth = {"Authorization": f"Bearer {token}"}
    raw = client.get("/openapi.json", headers=auth).json()
    schema = schemathesis.openapi.from_dict(raw)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        _exercise(operation, base, auth, failures)
    assert not failures, "\n".join(failures[:10])
