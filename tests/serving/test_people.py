"""Whom to contact and where: contacts as the household record stood at the as-of date,
shown only to case workers in scope, never in the logs or the audit; the visit list."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert

from features.build import build_features
from features.synthetic import generate_county
from features.validate import validate_folder
from serving.people import contacts, find_contacts, record_people, school_names
from serving.store import ScoreStore
from tests.serving import test_app
from tests.serving.test_app import Api

AS_OF = "2023-03-01"
api, scorer = test_app.api, test_app.scorer  # the API fixtures


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("county")
    generate_county(folder, students=300, years=1, seed=4)
    tables = validate_folder(folder).tables
    assert tables is not None
    return tables, build_features(tables, AS_OF)


def test_contacts_are_the_household_record_at_the_as_of_date(tmp_path: Path, county) -> None:
    tables, features = county
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert record_people(store.engine, tables, features) == len(features)
    # Independently: the latest household row on or before the date, by a plain loop.
    hh = tables.households
    students = tables.students.set_index("student_id")
    pairs = zip(features["county"], features["student_id"], strict=True)
    keys = [(str(c), str(s)) for c, s in pairs]
    got = find_contacts(store.engine, keys)
    assert len(got) == len(keys)
    for county_name, sid in keys[:: max(1, len(keys) // 60)]:
        rows = hh[hh["household_id"] == students.loc[sid, "household_id"]]
        rows = rows[rows["recorded_on"] <= pd.Timestamp(AS_OF)].sort_values("recorded_on")
        last = rows.iloc[-1]
        mine = got[(county_name, sid)]
        assert (mine.guardian, mine.village, mine.address) == (
            last["guardian"], last["village"], last["address"],
        )  # fmt: skip
        phone = last["guardian_phone"]
        assert mine.guardian_phone == (None if pd.isna(phone) else phone)
    names = school_names(store.engine)
    schools = tables.schools
    triples = zip(schools.county, schools.school_id, schools.name, strict=True)
    assert names == {(c, s): n for c, s, n in triples}
    # Scoring the county again replaces its rows rather than adding to them.
    record_people(store.engine, tables, features.iloc[:10])
    assert len(find_contacts(store.engine, keys)) == 10
    store.close()


def _add_contacts(api: Api) -> dict[str, str]:
    phones = {}
    rows = []
    for i, r in enumerate(api.rows):
        phone = f"1380000{i:04d}"
        phones[r["student_id"]] = phone
        rows.append(
            {
                "county": r["county"],
                "student_id": r["student_id"],
                "guardian": "grandparents",
                "father_migrant": True,
                "mother_migrant": True,
                "village": "上坪村" if (i // 12) % 2 else "下沟村",
                "address": f"上坪村{i}号",
                "guardian_name": None,
                "guardian_phone": phone,
                "as_of": pd.Timestamp("2025-03-01").date(),
            }
        )
    with api.store.engine.begin() as conn:
        conn.execute(insert(contacts), rows)
    return phones


def test_contact_only_for_case_workers_in_scope_and_never_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    phones = _add_contacts(api)
    mine = next(r for r in api.rows if r["township"] == "T0")["student_id"]
    other = next(r for r in api.rows if r["township"] == "T1")["student_id"]
    with caplog.at_level(logging.DEBUG):
        got = api.client.get(f"/v1/students/{mine}/contact", headers=api.t0)
    assert got.status_code == 200 and got.json()["guardian_phone"] == phones[mine]
    assert got.json()["guardian"] == "grandparents" and got.json()["father_migrant"] is True
    denied = api.client.get(f"/v1/students/{other}/contact", headers=api.t0)
    missing = api.client.get("/v1/students/NOPE/contact", headers=api.t0)
    assert denied.status_code == missing.status_code == 404 and denied.content == missing.content
    assert api.client.get(f"/v1/students/{mine}/contact", headers=api.researcher).status_code == 403
    assert phones[mine] not in caplog.text and "上坪村" not in caplog.text
    audit = api.store.audit_log(mine)
    assert audit and all(phones[mine] not in str(v) for row in audit for v in row.values())


def test_visit_list_is_ordered_filtered_by_village_and_in_scope(api: Api) -> None:
    _add_contacts(api)
    got = api.client.get("/v1/visit-list?village=上坪村&limit=200", headers=api.t0).json()
    students = [e["student"] for e in got["students"]]
    assert students and all(e["contact"]["village"] == "上坪村" for e in got["students"])
    assert {s["township"] for s in students} == {"T0"}
    risks = [s["risk"] for s in students]
    assert risks == sorted(risks, reverse=True)
    expected = [
        r["student_id"]
        for r in sorted(api.rows, key=lambda r: (-r["risk"], r["student_id"]))
        if r["township"] == "T0" and (int(r["student_id"][1:]) // 12) % 2
    ]
    assert [s["student_id"] for s in students] == expected
    assert got["villages"] == ["上坪村", "下沟村"]
    refused = api.client.get("/v1/visit-list", headers=api.researcher)
    assert refused.status_code == 403
