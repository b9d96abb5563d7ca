"""Children in the household register whom no school lists: `suspected` cases for sync.

For each county, the latest `dropout-risk reconcile` run dated on or before the sync date
gives its `not_enrolled` children; each gets a `suspected` case with reason
`not_in_school_register`, dated on the run's as-of date, in its township and village
(no school: `school_id` is empty, so no school scope sees it, as on the API).

Such a child has no student_id, so the ledger keys the case on a pseudonym: `resident-`
and 20 hex digits of an HMAC-SHA256, under a random key kept in `<home>/casework.key`
(created on first use, owner-only), of the resident's identity number when the register
has one (else of name, birth date, gender, county, township and village). It is the same
child in every run whatever the row order of the register (a row number is not: the next
export reorders rows and would hand one child's key to another), it never shows the
identity number, and without the key nobody can test guesses of an identity number
against it. The fact's key is `not_in_school_register:<school year>`: a rerun, or a new
run of the same school year, opens nothing twice; a child still missing next school year
is suspected again once the earlier case was closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select

from serving.cases.events import EVENT_COLUMNS
from serving.cases.ledger import Place
from serving.cases.models import Case
from serving.cases.sync import SyncReport, _ledger_state, _play, _write
from serving.reconciled import latest_not_enrolled

REASON = "not_in_school_register"
PREFIX = "resident-"
KEY_FILE = "casework.key"
IDENTITY = ["person_id", "name", "birth_date", "gender", "county", "township", "village"]
COLUMNS = [*IDENTITY, "school_year"]


def ledger_key(home: Path) -> bytes:
    """The secret behind the pseudonyms; made once per home, readable by its owner only."""
    path = Path(home) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another sync made it meanwhile
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value).strip()


def pseudonyms(rows: pd.DataFrame, key: bytes) -> pd.Series:
    """One stable case id per resident: of the identity number, or of who and where."""

    def one(row: pd.Series) -> str:
        pid = _text(row["person_id"]).upper()
        born = "" if pd.isna(row["birth_date"]) else f"{pd.Timestamp(row['birth_date']):%Y-%m-%d}"
        seen = [_text(row[c]) for c in ("name", "gender", "county", "township", "village")]
        who = f"id:{pid}" if pid else "row:" + "|".join([*seen[:1], born, *seen[1:]])
        return PREFIX + hmac.new(key, who.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    return rows.apply(one, axis=1) if len(rows) else pd.Series([], dtype=object)


def not_enrolled_facts(home: Path, as_of: dt.date) -> tuple[pd.DataFrame, dict[str, Place]]:
    """The suspected facts (serving.cases.events' shape) and each child's place."""
    rows = latest_not_enrolled(home, COLUMNS, until=pd.Timestamp(as_of))
    if rows.empty:
        return pd.DataFrame(columns=list(EVENT_COLUMNS)), {}
    ids = pseudonyms(rows, ledger_key(home))
    years = rows["school_year"].astype("Int64").astype(str)
    facts = pd.DataFrame(
        {
            "student_id": ids.to_numpy(),
            "on": pd.to_datetime(rows["as_of"]).to_numpy(),
            "to": "suspected",
            "reason": REASON,
            "plan": None,
            "key": (REASON + ":" + years).to_numpy(),
        }
    ).drop_duplicates("student_id")  # the same person twice in one register: one case
    where = {
        sid: Place(
            county=_text(r.county),
            township=_text(r.township),
            school_id="",
            village=_text(r.village) or None,
            name=_text(r.name) or None,
        )
        for sid, r in zip(ids, rows.itertuples(index=False), strict=True)
    }
    return facts.reset_index(drop=True), where


def sync_not_enrolled(engine: Engine, home: Path, as_of: dt.date) -> SyncReport:
    """Open the suspected cases of the latest reconciliation, once each (one transaction)."""
    facts, where = not_enrolled_facts(home, as_of)
    with engine.begin() as conn:
        report = SyncReport()
        if len(facts):
            latest, keys = _ledger_state(conn)
            opened, report = _play(facts, where, latest, keys)
            _write(conn, opened, latest)
        rows = conn.execute(select(Case.state, func.count()).group_by(Case.state)).all()
    report.by_state = {s: int(n) for s, n in rows}
    return report
