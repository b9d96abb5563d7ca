"""The serve group's commands: users add, score (real county, real registry), serve refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from dropout_risk.cli import app
from dropout_risk.settings import get_settings
from serving.auth import Scope
from serving.people import find_contacts
from serving.store import ScoreStore

runner = CliRunner()


def _schools(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["school_id,name,county,township,level,rural,boarding"]
    lines += [f"{s},学校{s},{c},{t},primary,true,false" for s, c, t in rows]
    (folder / "schools.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_users_add_prints_the_token_once_and_stores_its_hash(
    dropout_risk_home: Path, tmp_path: Path
) -> None:
    data = _schools(tmp_path / "data", [("0101", "青山县", "城关镇"), ("0102", "青山县", "东镇")])
    args = ["users", "add", "周老师", "--role", "caseworker", "--scope", "township:城关镇"]
    result = runner.invoke(app, [*args, "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "township:青山县/城关镇" in result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("drk_")
    store = ScoreStore.open(get_settings().database_url)
    who = store.authenticate(token)
    assert who is not None and who.name == "周老师" and str(who.scope) == "township:青山县/城关镇"
    with store.engine.connect() as conn:
        dump = str(conn.execute(text("SELECT * FROM users")).all())
    store.close()
    assert token not in dump

    again = runner.invoke(app, ["users", "add", "周老师", "--role", "caseworker", "--scope", "all"])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = runner.invoke(app, ["users", "add", "x", "--role", "caseworker", "--scope", "village:1"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output and "scope" in bad.output


def test_serve_without_any_model_exits_with_a_clear_message(dropout_risk_home: Path) -> None:
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "no model is cached" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_score_a_county_with_the_champion(
    dropout_risk_home: Path, registry_template: Path, tmp_path: Path
) -> None:
    from features.synthetic import generate_county

    dropout_risk_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(registry_template / "mlflow.sqlite", dropout_risk_home / "mlflow.sqlite")
    county = tmp_path / "county"
    generate_county(county, students=250, years=2, seed=4, fmt="csv")
    out = tmp_path / "batch.parquet"
    result = runner.invoke(app, ["score", str(county), "--as-of", "2024-03-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame["student_id"].is_unique and set(frame["model_version"]) == {"1"}
    assert frame["tier"].isin(["high", "medium", "low", "past_age"]).all()
    past = frame["tier"] == "past_age"  # not ranked (16 by 31 August 2023)
    assert (frame.loc[past, ["rank_in_school", "rank_in_county"]] == 0).all().all()
    store = ScoreStore.open(get_settings().database_url)
    batch = store.latest_batch()
    assert batch is not None and batch.n_students == len(frame) and batch.model_version == "1"
    who = store.authenticate(store.add_user("r", "researcher", Scope.parse("all")))
    assert who is not None
    top = frame[~past].sort_values("rank_in_county").iloc[0]
    record = store.student(who, top["student_id"], "test")
    # Whom to contact was kept from households.csv with the batch (the synthetic county has it).
    contact = find_contacts(store.engine, [(record.county, record.student_id)]) if record else {}
    # score stored the school's and township's leaving rates beside the batch (issue 12 item 5)
    from serving.store.place_risk import place_figures

    assert record is not None
    place = (record.county, record.school_id)
    school = place_figures(store.engine, who.scope, "school", [place])[place]
    store.close()
    assert school.leaving_rate is not None and 0 <= school.leaving_rate <= 1
    assert contact and next(iter(contact.values())).village
    assert record is not None and record.rank_county == 1 and record.factors
    assert record.factors[0]["zh"] and record.as_of.isoformat() == "2024-03-01"
    # the first school year on record bounds the visit dates from below
    assert record.enrolled_since is not None and record.enrolled_since <= record.as_of

    # finding 5 / issue 13: a batch prepared with --no-publish leaves the one in service alone
    later = runner.invoke(app, ["score", str(county), "--as-of", "2024-04-01", "--no-publish"])
    assert later.exit_code == 0, later.output
    assert "NOT in service" in later.output and f"case workers still see batch {batch.id}" in (
        " ".join(later.output.split())
    )
    store = ScoreStore.open(get_settings().database_url)
    assert store.latest_batch() == batch
    prepared = max(b.id for b in store.batches())
    store.close()
    published = runner.invoke(app, ["publish", str(prepared)])
    assert published.exit_code == 0, published.output
    assert "in service now" in published.output
    # an earlier as-of never replaces a later one without --force
    early = runner.invoke(app, ["score", str(county), "--as-of", "2024-03-15"])
    assert early.exit_code == 1 and "--force" in early.output and "Traceback" not in early.output
    store = ScoreStore.open(get_settings().database_url)
    assert store.latest_batch().id == prepared  # type: ignore[union-attr]
    from serving.place_tables import place_rates

    with store.engine.connect() as conn:  # the refused run's rates went with its batch
        rated = set(conn.execute(place_rates.select().with_only_columns(place_rates.c.batch_id)))
    assert {r[0] for r in rated} == {b.id for b in store.batches()}
    store.close()
    # score's casework step: the ledger now holds the county's cases as of the score date
    assert "Cases: " in result.output
    from serving.cases.models import Case

    reopened = ScoreStore.open(get_settings().database_url)
    with reopened.engine.connect() as conn:
        n_cases = len(conn.execute(Case.__table__.select()).all())
    reopened.close()
    assert n_cases > 0
