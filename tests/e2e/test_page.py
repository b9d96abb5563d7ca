"""The case workers' page in a real headless Chromium against a real server on 127.0.0.1.

The server is `dropout-risk serve` (uvicorn) in its own process, over a real MLflow
registry and a real SQLite score store holding three batches scored by a real model.
Screenshots of the list and the card at desktop and phone width go to tests/artifacts/page/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import delete

from serving.auth import Scope
from serving.place_rates import COLUMNS as RATE_COLUMNS
from serving.place_rates import store_rates
from serving.place_tables import place_rates
from serving.signin import issue_code
from serving.store import ScoreStore
from tests.e2e.live_server import live_server
from tests.e2e.page_data import AS_OFS, publish_county
from tests.serving.serving_model import make_scorer, register
from training.registry import promote

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "page"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


@dataclass
class Site:
    url: str
    home: Path
    batch: pd.DataFrame  # the latest batch, one row per student
    tokens: dict[str, str]

    def ids(self, township: str) -> list[str]:
        """Student ids of a township, highest risk first, equal risks in the batch's rank (the
        one tie rule); children past compulsory-school age are not on the list."""
        rows = self.batch[(self.batch["township"] == township) & (self.batch["tier"] != "past_age")]
        order = rows.sort_values(["risk", "rank_in_county"], ascending=[False, True])
        return list(order["student_id"])

    def row(self, student_id: str) -> pd.Series:
        return self.batch.set_index("student_id").loc[student_id]

    def store(self) -> ScoreStore:
        return ScoreStore.open(f"sqlite:///{self.home / 'scores.sqlite'}", migrate=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Registry + three published batches + two case workers; `dropout-risk serve` on loopback."""
    home = tmp_path_factory.mktemp("page_home")
    scorer = make_scorer("1", seed=0)
    uri = f"sqlite:///{home / 'mlflow.sqlite'}"  # the home folder's default tracking store
    register(scorer, uri, home / "mlartifacts")
    promote("1", uri)
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}")
    batch = publish_county(store, scorer)
    tokens = {
        "t0": store.add_user("王社工", "caseworker", Scope.parse("township:T0")),
        "t1": store.add_user("李社工", "caseworker", Scope.parse("township:T1")),
    }
    store.close()
    with live_server(home) as url:
        yield Site(url, home, batch, tokens)


@pytest.fixture
def page(browser, site: Site) -> Iterator[object]:
    """A fresh browser tab (own sessionStorage) at desktop size; fails on any console error."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    # Nothing may be fetched from anywhere but the server itself.
    foreign: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith(site.url) else foreign.append(r.url))
    yield tab
    context.close()
    assert not foreign, f"the page fetched from elsewhere: {foreign}"
    # Chromium logs every 401/404 answer; those are the API's expected answers (a wrong
    # token, a foreign student), not errors of the page. Anything else fails the test.
    expected = re.compile(r"^Failed to load resource: .* status of 40[14] ")
    assert [e for e in errors if not expected.match(e)] == []


def sign_in(page, site: Site, who: str = "t0", path: str = "/") -> None:
    """Sign in with the long API token (tests/e2e/test_phone.py signs in with a short code)."""
    page.goto(site.url + path)
    page.get_by_text("使用访问令牌登录").click()
    page.get_by_label("访问令牌").fill(site.tokens[who])
    page.get_by_role("button", name="用令牌登录").click()
    page.locator("#signout").wait_for(state="visible")


def listed_ids(page) -> list[str]:
    page.locator("#watchlist-body tr[data-student]").first.wait_for()
    return page.locator("#watchlist-body tr[data-student]").evaluate_all(
        "rows => rows.map(r => r.dataset.student)"
    )


def shoot(page, name: str, height: int | None = None) -> Path:
    """A full-page screenshot, or its top `height` pixels (a list of 100+ rows is long)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    width = page.viewport_size["width"]
    clip = None if height is None else {"x": 0, "y": 0, "width": width, "height": height}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    assert path.stat().st_size > 10_000
    return path


def test_list_shows_only_the_case_workers_township(page, site: Site) -> None:
    sign_in(page, site)
    mine = site.ids("T0")
    assert listed_ids(page) == mine[:50]  # ranked by risk, first page
    assert not set(listed_ids(page)) & set(site.ids("T1"))
    in_scope = site.batch[site.batch["township"] == "T0"]
    n_high = int((in_scope["tier"] == "high").sum())
    capacity = page.locator("#capacity-text").inner_text()
    assert f"可走访 {n_high} 名学生的家庭" in capacity and capacity.startswith("T0")
    assert page.locator("#list-count").inner_text() == f"显示 50 名，共 {len(mine)} 名"
    # The capacity line sits right under the last high-tier student.
    first = site.row(mine[0])
    row = page.locator(f'tr[data-student="{mine[0]}"]')
    assert first["name"] in row.inner_text()
    assert first["factors"][0]["zh"] in row.inner_text()  # top reason, from the catalogue
    assert "尚未走访" in row.inner_text()
    after_line = page.locator("tr.capacity-end + tr").get_attribute("data-student")
    assert after_line == mine[n_high]
    shoot(page, "list-desktop", height=1300)
    page.set_viewport_size(PHONE)
    assert page.locator("#filter-box").get_attribute("open") is not None  # set at load
    page.reload()  # folded on a phone
    listed_ids(page)
    assert page.locator("#filter-box").get_attribute("open") is None
    shoot(page, "list-phone", height=1700)
    page.set_viewport_size(DESKTOP)
    for shown in range(100, len(mine) + 50, 50):
        page.get_by_role("button", name="显示更多").click()
        expect(page.locator("tr[data-student]")).to_have_count(min(shown, len(mine)))
    assert listed_ids(page) == mine
    assert page.get_by_role("button", name="显示更多").is_hidden()


def test_filters_and_search(page, site: Site) -> None:
    sign_in(page, site)
    listed_ids(page)
    schools = page.locator("#f-school option").evaluate_all("o => o.map(x => x.value)")
    in_scope = site.batch[site.batch["township"] == "T0"]
    assert schools == ["", *sorted(in_scope["school_id"].unique())]
    assert page.locator("#f-township option").evaluate_all("o => o.map(x => x.value)") == ["", "T0"]
    page.get_by_label("风险等级").select_option("high")
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url(re.compile(r"tier=high"))
    high = in_scope[in_scope["tier"] == "high"]
    expect(page.locator("tr[data-student]")).to_have_count(len(high))
    assert sorted(listed_ids(page)) == sorted(high["student_id"])
    # Search by id, with the keyboard only.
    target = site.ids("T0")[3]
    page.get_by_label("按学号查找").fill(target)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/students/{target}")
    page.locator("#card-view").wait_for(state="visible")
    assert target in page.locator("#card-sub").inner_text()
    page.go_back()  # the filtered list again
    page.wait_for_url(re.compile(r"tier=high"))
    assert page.get_by_label("风险等级").input_value() == "high"


def test_student_card_and_recording_a_visit(page, site: Site) -> None:
    sid = site.ids("T0")[0]
    row = site.row(sid)
    store = site.store()  # the school's leaving rate beside the batch: 1 of 10 left
    try:
        batch = store.latest_batch()
        assert batch is not None
        with store.engine.begin() as conn:
            conn.execute(delete(place_rates).where(place_rates.c.batch_id == batch.id))
        rate = pd.DataFrame(
            [(row["county"], "school", row["school_id"], 10, 1, 0.1)], columns=RATE_COLUMNS
        )
        store_rates(store.engine, batch.id, rate)
    finally:
        store.close()
    sign_in(page, site)
    shown = listed_ids(page)
    # The marker: a risk at least twice the school's mean and 5 points above it.
    ranked = site.batch[site.batch["tier"] != "past_age"]
    means = ranked.groupby("school_id")["risk"].mean()
    above = [
        i
        for i in shown
        if site.row(i)["risk"] >= 2 * means[site.row(i)["school_id"]]
        and site.row(i)["risk"] - means[site.row(i)["school_id"]] >= 0.05
    ]
    marked = page.locator("tr[data-student]:has(.above-school)").evaluate_all(
        "rows => rows.map(r => r.dataset.student)"
    )
    assert marked == above and 0 < len(above) < len(shown)
    page.get_by_role("link", name=row["name"]).click()
    # The link names the child's county: ids are unique within a county only.
    page.wait_for_url(re.compile(rf"/students/{sid}\?county={quote(row['county'])}$"))
    page.locator("#card-view").wait_for(state="visible")
    assert page.locator("#card-h").inner_text() == row["name"]
    risk = round(row["risk"] * 100)
    assert page.locator("#card-risk").inner_text() == f"{risk}%"
    note = page.locator("#card-note").inner_text()
    assert f"每100人约有{risk}人在6个月内辍学" in note
    assert "起点" in page.locator(".verdict").inner_text()  # a conversation, not a verdict
    assert page.locator("#trend svg circle").count() == len(AS_OFS)
    assert AS_OFS[0].isoformat() in page.locator("#trend-text").inner_text()
    factors = page.locator("#factors li").all_inner_texts()
    reasons = [f["zh"] for f in row["factors"] if f["kind"] == "reason"]
    assert [f.splitlines()[0] for f in factors] == reasons
    assert page.get_by_text("暂无走访记录。").is_visible()
    town = ranked[ranked["township"] == row["township"]]["risk"].mean()
    assert page.locator("#card-places").inner_text() == (
        f"本校平均风险 {round(means[row['school_id']] * 100)}%，近一年离校率 10%；"
        f"本乡镇平均风险 {round(town * 100)}%，近一年离校率 未知"
    )
    shoot(page, "card-desktop")

    page.get_by_label("走访日期").fill("2025-09-10")
    page.get_by_label("走访人").fill("王老师和村干部")
    page.get_by_label("结果").select_option("returned_to_class")
    page.get_by_label("备注").fill("家长同意下周一送孩子返校。")
    page.get_by_role("button", name="保存走访记录").click()
    visit = page.locator("#visits li").first
    visit.wait_for()
    assert "2025-09-10" in visit.inner_text() and "已返回原班级" in visit.inner_text()
    assert "家长同意" in visit.inner_text()
    assert page.locator("#status").inner_text() == "走访记录已保存。"
    page.get_by_role("button", name="Switch to English").click()  # the message follows
    assert page.locator("#status").inner_text() == "Visit saved."
    page.get_by_role("button", name="切换到中文").click()
    store = site.store()
    try:
        audit = [e for e in store.audit_log(sid) if e["action"] == "write"]
    finally:
        store.close()
    assert audit and audit[-1]["user"] == "王社工"

    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "card-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="← 返回名单").click()
    last_visit = page.locator(f'tr[data-student="{sid}"] td').nth(7)
    last_visit.filter(has_text="2025-09-10").wait_for()


def test_switching_language(page, site: Site) -> None:
    sign_in(page, site)
    sid = site.ids("T0")[0]
    listed_ids(page)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("button", name="Switch to English").click()
    assert page.locator("#list-h").inner_text() == "Watchlist"
    assert page.locator("html").get_attribute("lang") == "en"
    row = page.locator(f'tr[data-student="{sid}"]')
    assert site.row(sid)["factors"][0]["en"] in row.inner_text()
    page.get_by_role("link", name=site.row(sid)["name"]).click()
    page.locator("#card-view").wait_for(state="visible")
    assert "Of 100 students with a score like this" in page.locator("#card-note").inner_text()
    assert page.get_by_role("heading", name="Record a visit").is_visible()
    page.reload()  # the server renders the shell in the chosen language now
    page.locator("#card-view").wait_for(state="visible")
    assert page.locator("#risk-h").inner_text() == "Risk of leaving school"
    page.get_by_role("button", name="切换到中文").click()
    assert page.locator("#risk-h").inner_text() == "辍学风险"


def test_foreign_or_missing_student_in_the_url_is_not_found(page, site: Site) -> None:
    sign_in(page, site)
    foreign = site.ids("T1")[0]
    texts = []
    for path in (f"/students/{foreign}", "/students/S9999", f"/#/students/{foreign}"):
        page.goto(site.url + path)  # typed into the address bar: a fresh page load
        page.locator("#notfound-view").wait_for(state="visible")
        assert page.locator("#nf-h").inner_text() == "未找到该学生"
        assert page.locator("#card-view").is_hidden()
        text = page.locator("#nf-text").inner_text()
        texts.append(text.replace(foreign, "ID").replace("S9999", "ID"))
    assert len(set(texts)) == 1  # foreign and missing read the same
    assert site.row(foreign)["name"] not in page.content()
    # Recording a visit for the foreign student through the same token is refused too.
    got = httpx.post(
        f"{site.url}/v1/students/{foreign}/visits",
        json={"date": "2025-09-10", "visitor": "x", "outcome": "left"},
        headers={"Authorization": f"Bearer {site.tokens['t0']}"},
    )
    assert got.status_code == 404
    # The other township's worker sees that student (signed in at the card's address).
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, site, "t1", f"/students/{foreign}")
    page.locator("#card-view").wait_for(state="visible")
    assert page.locator("#card-h").inner_text() == site.row(foreign)["name"]


def test_token_stays_out_of_urls_and_sign_out_forgets_it(page, site: Site) -> None:
    page.goto(site.url)
    page.get_by_text("使用访问令牌登录").click()
    page.get_by_label("访问令牌").fill("drk_wrong")
    page.get_by_role("button", name="用令牌登录").click()
    expect(page.locator("#token-error")).to_have_text("令牌无效，请检查后重试。")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, site)
    listed_ids(page)
    token = site.tokens["t0"]
    assert page.evaluate("sessionStorage.getItem('dropout-risk.token')") == token
    assert all(token not in url for url in [*requests, page.url])
    assert "王社工" in page.locator("#who").inner_text()
    page.get_by_role("button", name="退出登录").click()
    assert page.get_by_label("登录码").is_visible()
    assert page.evaluate("sessionStorage.getItem('dropout-risk.token')") is None
    assert page.locator("#watchlist-body tr").count() == 0
    page.goto(f"{site.url}/students/{site.ids('T0')[0]}")
    page.locator("#signin-view").wait_for(state="visible")
    assert page.get_by_label("登录码").is_visible()  # no card without signing in again


def test_shell_serves_no_data_and_nothing_from_elsewhere(site: Site) -> None:
    sid = site.ids("T0")[0]
    got = httpx.get(f"{site.url}/students/{sid}")
    assert got.status_code == 200 and "text/html" in got.headers["content-type"]
    assert site.row(sid)["name"] not in got.text
    assert "default-src 'self'" in got.headers["content-security-policy"]
    assert not re.search(r"""(src|href)=["']https?://""", got.text)
    assert httpx.get(f"{site.url}/static/page.js").status_code == 200
    english = httpx.get(site.url, cookies={"lang": "en"}).text
    assert '<html lang="en">' in english and "Sign in" in english


def test_keyboard_alone_signs_in_and_opens_a_card(page, site: Site) -> None:
    store = site.store()
    try:
        code = issue_code(store.engine, "王社工", "县教育局")
    finally:
        store.close()
    page.goto(site.url)
    expect(page.locator("#code")).to_be_focused()
    page.keyboard.type(code)  # a short code from the bureau, typed on the phone
    page.keyboard.press("Enter")
    page.locator("#watchlist-body tr[data-student]").first.wait_for()
    first_id = site.ids("T0")[0]
    first = f"/students/{first_id}?county={quote(site.row(first_id)['county'])}"
    for _ in range(30):  # through the search box and the filters to the first student
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == first:
            break
    else:
        pytest.fail("the first student's link is not reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus ring
    page.keyboard.press("Enter")
    page.locator("#card-view").wait_for(state="visible")
    expect(page.locator("#card-h")).to_be_focused()
