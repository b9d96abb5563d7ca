"""Monitoring from the ledger: levels add up, and out-of-school counts equal a direct count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from features.validate import load_tables
from serving.auth import Principal, Scope
from serving.cases.monitoring import COUNTS, monitoring, totals
from serving.cases.periods import period_start, previous_end, term_start
from serving.cases.sync import sync_cases
from serving.store import ScoreStore
from tests.serving.cases_helpers import who
from tests.serving.serving_rows import AS_OF, county_rows
from tests.serving.test_cases_sync import _out_of_school_by_township


@pytest.fixture
def synced(county_dir: Path, tmp_path: Path):
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    data = load_tables(county_dir)
    sync_cases(store.engine, data, dt.date(2024, 3, 1))
    sync_cases(store.engine, data, dt.date(2024, 11, 20))
    yield store
    store.close()


def test_levels_add_up_and_match_the_dropouts_table(synced: ScoreStore, county_dir: Path) -> None:
    user = who(synced, "all", "researcher")
    on = dt.date(2024, 11, 19)  # the end of the day before the sync date
    with synced.engine.connect() as conn:
        levels = {lv: monitoring(conn, user, lv, on) for lv in ("county", "township", "school")}
        villages = monitoring(conn, user, "village", on)
        earlier = monitoring(conn, user, "township", dt.date(2024, 2, 29))
    county_total = totals(levels["county"])
    for lv in ("township", "school"):
        assert totals(levels[lv]) == county_total, lv
    case_counts = [c for c in COUNTS if c not in ("enrolled", "high_tier")]
    assert {c: totals(villages)[c] for c in case_counts} == {
        c: county_total[c] for c in case_counts
    }
    direct = _out_of_school_by_township(county_dir, on + dt.timedelta(days=1))
    got = {(u.county, u.township): u.counts["out_of_school"] for u in levels["township"]}
    assert {k: v for k, v in got.items() if v} == direct
    # the ledger replays to earlier dates: March's numbers are those of the March sync
    direct_march = _out_of_school_by_township(county_dir, dt.date(2024, 3, 1))
    got_march = {(u.county, u.township): u.counts["out_of_school"] for u in earlier}
    assert {k: v for k, v in got_march.items() if v} == direct_march
    assert county_total["out_of_school"] > 0 and county_total["closed"] > 0


def test_change_is_against_the_previous_period(synced: ScoreStore, county_dir: Path) -> None:
    user = who(synced, "all", "researcher")
    on = dt.date(2024, 11, 19)
    with synced.engine.connect() as conn:
        now = totals(monitoring(conn, user, "county", on, "quarter"))
        then = totals(monitoring(conn, user, "county", previous_end(on, "quarter"), "quarter"))
    assert previous_end(on, "quarter") == dt.date(2024, 9, 30)
    assert now["out_of_school_before"] == then["out_of_school"]
    assert now["change"] == now["out_of_school"] - then["out_of_school"]


def test_scope_limits_monitoring(synced: ScoreStore) -> None:
    everyone = who(synced, "all", "researcher")
    on = dt.date(2024, 11, 19)
    with synced.engine.connect() as conn:
        towns = monitoring(conn, everyone, "township", on)
        one = towns[0]
        mine = who(synced, f"township:{one.county}/{one.township}")
        seen = monitoring(conn, mine, "school", on)
    assert seen and {(u.county, u.township) for u in seen} == {(one.county, one.township)}
    assert totals(seen) == one.counts


def test_periods() -> None:
    assert term_start(dt.date(2025, 1, 15)) == dt.date(2024, 9, 1)
    assert term_start(dt.date(2025, 3, 1)) == dt.date(2025, 2, 1)
    assert period_start(dt.date(2025, 5, 31), "quarter") == dt.date(2025, 4, 1)
    assert previous_end(dt.date(2025, 3, 10), "month") == dt.date(2025, 2, 28)


@pytest.mark.parametrize(("period", "lang"), [("month", "zh"), ("quarter", "en")])
def test_the_xlsx_totals_match_monitoring(synced: ScoreStore, period: str, lang: str) -> None:
    import io

    from openpyxl import load_workbook

    from serving.cases.reporting import export_for

    user = who(synced, "all", "researcher")
    on = dt.date(2024, 11, 19)
    data = export_for(synced, user, period, on, lang, {}, "GET /v1/monitoring/export")  # type: ignore[arg-type]
    book = load_workbook(io.BytesIO(data))
    with synced.engine.connect() as conn:
        expected = totals(monitoring(conn, user, "county", on, period))  # type: ignore[arg-type]
    schools = book[book.sheetnames[-2]]
    header = [c.value for c in schools[1]]
    last = [c.value for c in schools[schools.max_row]]
    assert last[0] == ("合计" if lang == "zh" else "total")
    got = dict(zip(header[-len(COUNTS) :], last[-len(COUNTS) :], strict=True))
    words = {"zh": "失学辍学人数", "en": "out of school (confirmed + persuading)"}
    assert got[words[lang]] == expected["out_of_school"] > 0
    assert list(got.values()) == [expected[c] for c in COUNTS]
    cases = book[book.sheetnames[-1]]
    assert cases.max_row - 1 == sum(
        expected[s] for s in ("suspected", "confirmed", "persuading", "returned")
    )
    assert ("乡镇" in book.sheetnames) == (period == "quarter" and lang == "zh")


def test_a_scope_without_its_county_counts_nobody(tmp_path: Path) -> None:
    """Two counties with the same township names: a township scope pinned to its county
    counts that county's children only; one without its county (never stored by `users add`,
    but possible in an old store) counts nobody, as every other read of the store."""
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    rows = county_rows(300, seed=1)
    for row in rows:  # C1's townships T2/T3 renamed T0/T1: the names repeat across counties
        row["township"] = {"T2": "T0", "T3": "T1"}.get(row["township"], row["township"])
    store.publish_batch(AS_OF, "1", rows)
    pinned = who(store, "township:C0/T0")
    unpinned = Principal(pinned.user_id, pinned.name, pinned.role, Scope("township", "T0"))
    on = AS_OF + dt.timedelta(days=1)
    try:
        with store.engine.connect() as conn:
            mine = totals(monitoring(conn, pinned, "school", on))
            none = totals(monitoring(conn, unpinned, "school", on))
    finally:
        store.close()
    expected = sum(1 for r in rows if (r["county"], r["township"]) == ("C0", "T0"))
    assert mine["enrolled"] == expected > 0
    assert none["enrolled"] == 0
