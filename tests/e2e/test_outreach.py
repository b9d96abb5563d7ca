"""The case workers' page beyond the risk list, in a real Chromium against a real server:
the school-age children of a township whom no school lists (the latest `reconcile` run),
on a phone, as the API gives them; and whether the visits worked (the latest `effects` run),
with its interval, or plainly that there is no estimate yet."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from features.reconcile.output import write_outputs
from features.reconcile.run import reconcile
from features.synthetic import generate_county
from features.validate import load_tables
from serving.auth import Scope
from serving.cases.unregistered import sync_not_enrolled
from serving.store.places import Place
from tests.e2e import test_page
from tests.e2e.test_page import PHONE, TIMEOUT_MS, Site, shoot, sign_in
from tests.features.test_reconcile import AS_OF, hand_county

pytestmark = pytest.mark.browser
site = test_page.site  # the same live server fixture, its own instance for this module


def _other_run(home: Path, folder: str, as_of: str, county: str, names: list[str]) -> None:
    """A run of another county with the same township name, or an older run."""
    out = home / "reconcile" / folder
    out.mkdir(parents=True)
    pd.DataFrame(
        {
            "county": county, "township": "Hongqi", "village": "南湾村", "name": names,
            "age": 9, "status": "not_enrolled", "as_of": pd.Timestamp(as_of),
        }
    ).to_parquet(out / "residents.parquet")  # fmt: skip


@pytest.fixture(scope="module")
def reconciled(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The hand-worked county reconciled into the server's home, beside two other runs, and
    a case worker of its township Hongqi (pinned to county Lanxi)."""
    county = hand_county(tmp_path_factory.mktemp("reconcile") / "county")
    found = reconcile(load_tables(county), AS_OF)
    write_outputs(found, site.home / "reconcile" / f"county-{AS_OF:%Y-%m-%d}")
    _other_run(site.home, "old-2022-10-15", "2022-10-15", "Lanxi", ["旧名"])
    _other_run(site.home, "b-2023-10-15", "2023-10-15", "B县", ["甲", "乙"])
    store = site.store()
    try:
        places = [Place("Lanxi", "Hongqi", "001"), Place("B县", "Hongqi", "B01")]
        scope = Scope.parse("township:Lanxi/Hongqi")
        site.tokens["hongqi"] = store.add_user("赵社工", "caseworker", scope, places)
    finally:
        store.close()
    return site


@pytest.fixture
def phone(browser, site: Site) -> Iterator[object]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert errors == []


def _rows(tab) -> list[list[str]]:
    tab.locator("#ne-body tr").first.wait_for()
    return tab.locator("#ne-body tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )


def test_a_township_case_worker_sees_its_children_in_no_school(phone, reconciled: Site) -> None:
    site = reconciled
    sign_in(phone, site, "hongqi")
    phone.get_by_role("link", name="未入学适龄儿童").click()
    # Worked by hand (tests/features/test_reconcile.py): by village, then name; not the
    # other county's Hongqi, not the older run.
    want = [["李小红", "Hongqi", "东坪村", "10 岁"], ["陈静", "Hongqi", "北坪村", "10 岁"]]
    assert _rows(phone) == want
    assert phone.locator("#ne-sub").inner_text() == "比对日期 2023-10-15，共 2 名"
    assert phone.url.endswith("/not-enrolled")
    # Phone width: one child per block, labelled, nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator('#ne-body td[data-label="村（社区）"]').first.is_visible()
    shoot(phone, "not-enrolled-phone-zh")

    # The API says the same to the same caller.
    token = {"Authorization": f"Bearer {site.tokens['hongqi']}"}
    api = httpx.get(f"{site.url}/v1/not-enrolled", headers=token, timeout=10).json()
    got = [[c["name"], c["township"], c["village"], f"{c['age']} 岁"] for c in api["children"]]
    assert got == want and api["total"] == 2

    # In English, after a reload on the same path.
    phone.get_by_role("button", name="Switch to English").click()
    assert _rows(phone)[0][3] == "10 years"
    phone.reload()
    assert _rows(phone) == [[*r[:3], r[3].replace(" 岁", " years")] for r in want]
    assert "School-age children in no school" in phone.locator("#ne-h").inner_text()


def test_a_case_worker_of_another_township_sees_none_and_is_told(phone, reconciled: Site) -> None:
    sign_in(phone, reconciled, "t1", "/not-enrolled")
    empty = phone.locator("#ne-empty")
    empty.wait_for(state="visible")
    assert "没有未入学适龄儿童的记录" in empty.inner_text()
    assert phone.locator("#ne-body tr").count() == 0 and phone.locator("#ne-table").is_hidden()


def _pts(share: float) -> str:
    """Percentage points as effects.js writes them (JS rounding, a real minus sign)."""
    p = math.floor(share * 1000 + 0.5) / 10
    return f"{'+' if p > 0 else '−' if p < 0 else ''}{abs(p):.1f}"


def _effects_run(tmp: Path) -> dict:
    """A real `dropout-risk effects` run on a generated county with a known visit effect."""
    data = tmp / "county"
    generate_county(data, students=1000, years=2, seed=21, visit_effect=0.6)
    env = {**os.environ, "DROPOUT_RISK_HOME": str(tmp / "home")}
    env.pop("DROPOUT_RISK_DB", None)
    snapshots = "2022-09-01,2023-03-01,2023-09-01,2024-03-01"
    done = subprocess.run(
        [sys.executable, "-m", "dropout_risk.cli", "effects", str(data), "--snapshots", snapshots],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((tmp / "home" / "effects" / "latest.json").read_text(encoding="utf-8"))


def test_the_page_says_whether_visits_worked_with_the_interval(
    phone, site: Site, tmp_path: Path
) -> None:
    # Before any run: said plainly, and no figure at all.
    sign_in(phone, site, "t0", "/effects")
    none = phone.locator("#ef-none")
    none.wait_for(state="visible")
    assert "还没有走访效果的估计" in none.inner_text()
    assert phone.locator("#ef-body").is_hidden()

    run = _effects_run(tmp_path)
    target = site.home / "effects" / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    phone.reload()
    summary = phone.locator("#ef-summary")
    summary.wait_for(state="visible")
    words = summary.inner_text()
    more_or_less = "低" if run["att"] < 0 else "高"
    assert f"比例{more_or_less} {_pts(abs(run['att'])).lstrip('+')} 个百分点" in words
    interval = f"95% 区间 {_pts(run['ci_low'])} 至 {_pts(run['ci_high'])} 个百分点"
    assert interval in words and f"依据 {run['n_treated']} 次走访" in words
    n = run["naive"]
    naive = phone.locator("#ef-naive").inner_text()
    assert (
        f"{_pts(n['att'])} 个百分点（95% 区间 {_pts(n['ci_low'])} 至 {_pts(n['ci_high'])}）"
        in naive
    )
    assert "误导" in phone.locator("#ef-body").inner_text()
    # The interval straddles 0 or not, and the page says which.
    straddles = run["ci_low"] <= 0 <= run["ci_high"]
    assert phone.locator("#ef-unclear").is_visible() == straddles
    # The plot: one interval per tier with an estimate, the overall, the naive.
    tiers = [g for g in run["by_group"] if g["group"].startswith("tier") and g["att"] is not None]
    assert phone.locator("#ef-plot svg line[data-ci]").count() == len(tiers) + 2
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(phone, "effects-phone-zh")

    phone.get_by_role("button", name="Switch to English").click()
    english = phone.locator("#ef-summary").inner_text()
    assert f"(95% interval {_pts(run['ci_low'])} to {_pts(run['ci_high'])} points" in english
    assert "naive comparison" in phone.locator("#ef-naive").inner_text()


def test_cases_sync_puts_them_on_the_cases_page(phone, reconciled: Site) -> None:
    """After `cases sync`, the same children are suspected cases of the township, with no
    school and the reason in words."""
    site = reconciled
    store = site.store()
    try:
        assert sync_not_enrolled(store.engine, site.home, dt.date(2023, 10, 20)).opened == 2
    finally:
        store.close()
    sign_in(phone, site, "hongqi", "/not-enrolled")
    phone.goto(site.url + "/cases")
    rows = phone.locator("tr[data-case]")
    rows.first.wait_for()
    texts = sorted(rows.all_inner_texts())
    assert len(texts) == 2 and "李小红" in texts[0] and "陈静" in texts[1]
    assert all("未入学 / Hongqi" in text for text in texts)
    rows.first.get_by_role("link").click()
    phone.locator("#c-card-sub").wait_for(state="visible")
    assert "户籍在册、没有学籍" in phone.locator("body").inner_text()
