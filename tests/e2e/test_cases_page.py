"""The cases tab in a real headless Chromium against the real server: a case worker moves a
case and sees the monitoring numbers change; the downloaded .xlsx matches the API.

Screenshots go to tests/artifacts/cases/ (copied to docs/screenshots/ for the README).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from serving.auth import Scope
from serving.cases.ledger import Member
from serving.cases.service import CaseService
from serving.store import ScoreStore
from tests.e2e.live_server import live_server
from tests.serving.serving_model import build_registry
from tests.serving.serving_rows import AS_OF, county_rows

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "cases"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
EP = "test"


@dataclass
class Site:
    url: str
    tokens: dict[str, str]
    case_ids: dict[str, int]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("cases_home")
    build_registry(home)
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}")
    store.publish_batch(AS_OF, "1", county_rows(120))
    tokens = {"county": store.add_user("县社工", "caseworker", Scope.parse("county:C0"))}
    who = store.authenticate(tokens["county"])
    assert who is not None
    cases = CaseService(store)
    today = dt.date.today()
    ids = {}
    for sid, state in (("S00000", "confirmed"), ("S00001", "suspected"), ("S00013", "confirmed")):
        got = cases.open(who, sid, None, state, dt.date(2025, 3, 1), "班主任报告", today, EP)
        assert got is not None
        ids[sid] = got.case.id
    team = [Member("王老师", "school", "13800000000"), Member("张村长", "village")]
    cases.set_team(who, ids["S00000"], "县社工", team, dt.date(2025, 3, 8), today, EP)
    cases.move(who, ids["S00013"], "returned", dt.date(2025, 3, 9), None, "new_class", today, EP)
    store.close()
    with live_server(home) as url:
        yield Site(url, tokens, ids)


@pytest.fixture
def page(browser, site: Site) -> Iterator[object]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert errors == []


def _sign_in(page, site: Site) -> None:
    page.goto(site.url + "/")
    page.get_by_text("使用访问令牌登录").click()  # the token box is folded (phones use codes)
    page.get_by_label("访问令牌").fill(site.tokens["county"])
    page.get_by_role("button", name="用令牌登录").click()
    page.locator("#signout").wait_for(state="visible")


def _shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _api_total(site: Site) -> dict:
    headers = {"Authorization": f"Bearer {site.tokens['county']}"}
    return httpx.get(f"{site.url}/v1/monitoring", headers=headers, timeout=30).json()["total"]


def _monitor_total(page, column: str) -> int:
    return int(page.locator(f'#c-mon-foot td[data-total="{column}"]').inner_text())


def test_move_a_case_and_watch_monitoring_change(page, site: Site) -> None:
    _sign_in(page, site)
    page.locator("#cases-link").click()
    page.locator("#c-rows tr[data-case]").first.wait_for()
    assert page.locator("#c-rows tr[data-case]").count() == 3
    assert "逾期" in page.locator(f'tr[data-case="{site.case_ids["S00000"]}"]').inner_text()
    assert page.locator("#c-returnees li").count() == 1
    _shoot(page, "cases-list")
    page.locator("#tab-monitoring").click()
    page.locator("#c-mon-foot td").first.wait_for()
    persuading = _monitor_total(page, "persuading")
    out = _monitor_total(page, "out_of_school")

    page.locator("#tab-cases").click()
    page.locator(f'tr[data-case="{site.case_ids["S00000"]}"] a').click()
    page.locator("#c-history li").first.wait_for()
    assert "王老师 · 学校 · 13800000000" in page.locator("#c-team").inner_text()
    page.set_viewport_size(PHONE)
    _shoot(page, "case-card-phone")
    page.select_option("#m-to", "persuading")
    page.fill("#m-reason", "团队第一次入户")
    page.locator("#c-move button[type=submit]").click()
    page.locator("#c-card-state.s-persuading").wait_for()
    assert "辍学 → 劝返中" in page.locator("#c-history").inner_text()
    # a returned case needs a plan: the page shows the API's reason
    page.select_option("#m-to", "returned")
    page.locator("#c-move button[type=submit]").click()
    page.locator("#m-error").wait_for(state="visible")
    assert "plan" in page.locator("#m-error").inner_text()
    page.set_viewport_size(DESKTOP)

    page.locator("#tab-monitoring").click()
    cell = "document.querySelector('#c-mon-foot td[data-total=persuading]')?.textContent"
    page.wait_for_function(f"{cell} === '{persuading + 1}'")
    assert _monitor_total(page, "out_of_school") == out  # confirmed → persuading: still out
    assert _api_total(site)["persuading"] == persuading + 1
    # drill down county → township → school; every level adds up to the same totals
    page.locator("#c-mon-rows button[data-unit='C0']").click()
    page.locator("#c-mon-rows button[data-unit='T0']").wait_for()
    assert _monitor_total(page, "persuading") == persuading + 1
    page.locator("#c-mon-rows button[data-unit='T0']").click()
    page.locator("#c-mon-rows th", has_text="SCH000").wait_for()
    _shoot(page, "monitoring")
    cells = page.locator("#c-mon-rows td[data-col=persuading]").all_inner_texts()
    assert sum(int(c) for c in cells) == _monitor_total(page, "persuading") >= 1


def test_the_downloaded_report_matches_the_api(page, site: Site) -> None:
    from openpyxl import load_workbook

    from serving.cases.monitoring import COUNTS

    _sign_in(page, site)
    page.goto(site.url + "/cases/monitoring")
    page.locator("#c-mon-foot td").first.wait_for()
    with page.expect_download() as info:
        page.locator("#x-month").click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    sheet = book[book.sheetnames[1]]
    total = [c.value for c in sheet[sheet.max_row]]
    api = _api_total(site)
    assert total[0] == "合计" and total[-len(COUNTS) :] == [api[c] for c in COUNTS]
    page.locator("#c-lang").click()
    assert page.locator("#tab-monitoring").inner_text() == "Monitoring"
