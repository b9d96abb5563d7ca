"""Sign-in on a phone: a one-time short code becomes an HttpOnly, SameSite=Strict, expiring
session cookie; single-use, short-lived, limited per code and per client, revocable."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import text, update
from typer.testing import CliRunner

from dropout_risk.cli import app
from dropout_risk.settings import get_settings
from serving.auth import Scope
from serving.signin import (
    ALPHABET,
    MAX_FAILURES_PER_CODE,
    codes,
    issue_code,
    normalize,
    sessions,
)
from serving.store import ScoreStore
from tests.serving import test_app
from tests.serving.test_app import Api

api, scorer = test_app.api, test_app.scorer  # the API fixtures
runner = CliRunner()


def _wrong(code: str) -> str:
    """The same slot (first two characters), another secret."""
    last = ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]
    return code[:-1] + last


def _sign_in(api: Api, code: str):
    return api.client.post("/v1/session", json={"code": code})


def test_a_code_becomes_a_strict_httponly_expiring_cookie_once(api: Api) -> None:
    code = issue_code(api.store.engine, "w0", "县教育局")
    assert re.fullmatch(f"[{ALPHABET}]{{8}}", code)
    got = _sign_in(api, f"{code[:4].lower()}-{code[4:]}")  # read out, typed in lower case
    assert got.status_code == 200 and got.json()["name"] == "w0"
    cookie = got.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    assert code not in cookie
    me = api.client.get("/v1/me")  # the cookie alone, no bearer token
    assert me.status_code == 200 and me.json()["scope"] == "township:C0/T0"
    api.client.cookies.clear()
    assert _sign_in(api, code).status_code == 401  # single use
    assert api.client.get("/v1/me").status_code == 401


def test_expired_and_superseded_codes_fail(api: Api) -> None:
    first = issue_code(api.store.engine, "w0", "县教育局")
    second = issue_code(api.store.engine, "w0", "县教育局")
    assert _sign_in(api, first).status_code == 401  # a new code voids the old one
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with api.store.engine.begin() as conn:
        conn.execute(update(codes).values(expires_at=past))
    assert _sign_in(api, second).status_code == 401


def test_guesses_against_a_code_void_it(api: Api) -> None:
    code = issue_code(api.store.engine, "w1", "乡镇管理员")
    for _ in range(MAX_FAILURES_PER_CODE):
        assert _sign_in(api, _wrong(code)).status_code == 401
    assert _sign_in(api, code).status_code == 401  # right, but too late


def test_a_client_is_limited_in_wrong_guesses(api: Api) -> None:
    statuses = [_sign_in(api, f"ZZZZZZ{a}{b}").status_code for a in "23" for b in "23456"]
    assert statuses == [401] * 10
    code = issue_code(api.store.engine, "w0", "县教育局")
    assert _sign_in(api, code).status_code == 429  # blocked even with a good code
    assert normalize(" ab-cd ") == "ABCD"


def test_sign_out_revokes_the_session(api: Api) -> None:
    assert _sign_in(api, issue_code(api.store.engine, "w0", "x")).status_code == 200
    assert api.client.get("/v1/me").status_code == 200
    assert api.client.delete("/v1/session").status_code == 204
    assert api.client.get("/v1/me").status_code == 401
    # A session past its expiry is refused by the server, whatever the browser keeps.
    assert _sign_in(api, issue_code(api.store.engine, "w0", "x")).status_code == 200
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with api.store.engine.begin() as conn:
        conn.execute(update(sessions).values(expires_at=past))
    assert api.client.get("/v1/me").status_code == 401


def test_cli_issues_codes_and_signs_out_everywhere(dropout_risk_home: Path) -> None:
    store = ScoreStore.open(get_settings().database_url)
    store.add_user("周老师", "caseworker", Scope.parse("all"))
    store.close()
    issued = runner.invoke(app, ["users", "code", "周老师", "--by", "青山县教育局"])
    assert issued.exit_code == 0, issued.output
    shown = issued.stdout.strip().splitlines()[-1]
    assert re.fullmatch(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", shown)
    store = ScoreStore.open(get_settings().database_url)
    with store.engine.connect() as conn:
        dump = str(conn.execute(text("SELECT * FROM signin_codes")).all())
    store.close()
    assert normalize(shown) not in dump and "青山县教育局" in dump
    out = runner.invoke(app, ["users", "signout", "周老师"])
    assert out.exit_code == 0 and "revoked" in out.output
    nobody = runner.invoke(app, ["users", "code", "nobody"])
    assert nobody.exit_code == 1 and "no user named" in nobody.output
    assert "Traceback" not in nobody.output
