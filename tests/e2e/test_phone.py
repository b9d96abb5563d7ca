"""A township case worker on a phone (390 px wide), in a real Chromium against a real server:
signs in with a short code, sees school names, opens a card with the guardian and village,
and prints the visit list for a village. Screenshots go to tests/artifacts/page/ (the README's
come from here)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from serving.signin import COOKIE, issue_code, pretty
from tests.e2e import test_page
from tests.e2e.page_data import SCHOOL_NAMES, VILLAGES, guardians
from tests.e2e.test_page import ARTIFACTS, PHONE, TIMEOUT_MS, Site, listed_ids, shoot

pytestmark = pytest.mark.browser
site = test_page.site  # the same live server fixture


def _village(student_id: str) -> str:
    return VILLAGES[int(student_id[1:]) % 3]  # as tests/e2e/page_data.contact_rows wrote it


def _school(school_id: str) -> str:
    return SCHOOL_NAMES[int(school_id[3:])]


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


def _code(site: Site, name: str = "王社工") -> str:
    store = site.store()
    try:
        return issue_code(store.engine, name, "青山县教育局")
    finally:
        store.close()


def test_sign_in_with_a_short_code_and_see_school_names(phone, site: Site) -> None:
    phone.goto(site.url)
    assert "县教育局" in phone.locator("#signin-view").inner_text()  # who issues access
    code = _code(site)
    phone.get_by_label("登录码").fill(pretty(code).lower())  # as read out, typed in lower case
    phone.get_by_role("button", name="登录", exact=True).click()
    ids = listed_ids(phone)
    assert ids == site.ids("T0")[:50]
    cookie = next(c for c in phone.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert phone.evaluate("document.cookie").find(COOKIE) == -1  # out of the script's reach
    assert phone.evaluate("sessionStorage.getItem('dropout-risk.token')") is None
    row = site.row(ids[0])
    first = phone.locator(f'tr[data-student="{ids[0]}"]')
    assert _school(row["school_id"]) in first.inner_text()
    cells = phone.locator('#watchlist-body td[data-label="学校"]').all_inner_texts()
    assert cells and not any(re.search(r"SCH\d", c) for c in cells)
    options = phone.locator("#f-school option").evaluate_all("o => o.map(x => x.textContent)")
    options = options[1:]  # after "全部"; the filter box is folded on a phone
    in_scope = sorted(site.batch[site.batch["township"] == "T0"]["school_id"].unique())
    assert options == [_school(s) for s in in_scope]
    shoot(phone, "list-phone-zh", height=1500)
    phone.reload()  # the cookie keeps the phone signed in across a reload
    assert listed_ids(phone) == ids
    # The code was single-use: a second phone cannot use it.
    other = phone.context.browser.new_context(viewport=PHONE)
    tab = other.new_page()
    tab.goto(site.url)
    tab.get_by_label("登录码").fill(code)
    tab.get_by_role("button", name="登录", exact=True).click()
    expect(tab.locator("#signin-error")).to_contain_text("已使用或已过期")
    other.close()


def test_card_shows_guardian_and_village_and_the_visit_list_prints(phone, site: Site) -> None:
    phone.goto(site.url)
    phone.get_by_label("登录码").fill(_code(site))
    phone.get_by_role("button", name="登录", exact=True).click()
    ids = listed_ids(phone)
    sid = ids[0]
    phone.get_by_role("link", name=site.row(sid)["name"]).click()
    phone.locator("#card-view").wait_for(state="visible")
    contact = phone.locator("#contact-panel")
    contact.wait_for(state="visible")
    text = contact.inner_text()
    number = int(sid[1:])
    assert _village(sid) in text and f"1390000{number:04d}" in text
    words = {
        "parents": "父母",
        "father": "父亲（母亲外出务工）",
        "mother": "母亲（父亲外出务工）",
        "grandparents": "祖父母（父母均外出务工）",
        "relatives": "其他亲属（父母均外出务工）",
        "other": "其他人（父母均外出务工）",
        "none": "无人监护（父母均外出务工）",
    }
    assert words[guardians()[number]] in text
    assert _school(site.row(sid)["school_id"]) in phone.locator("#card-sub").inner_text()
    assert "提高风险" not in phone.locator("#context").inner_text()
    phone.evaluate("window.scrollTo(0, 0)")
    shoot(phone, "card-phone-zh")

    # The visit list for one village, in risk order, with room for notes; then printed.
    village = _village(sid)
    phone.goto(f"{site.url}/visit-list?village={village}")
    phone.locator("#vl-body tr").first.wait_for()
    expected = [s for s in site.ids("T0") if _village(s) == village][:40]
    got = phone.locator("#vl-body tr").evaluate_all("rows => rows.map(r => r.dataset.student)")
    assert got == expected
    assert phone.locator("#vl-village").input_value() == village
    phone.emulate_media(media="print")
    assert phone.locator("header.top").is_hidden() and phone.locator("#vl-form").is_hidden()
    assert phone.locator("#vl-body tr").first.is_visible()
    printed = phone.locator("#vl-body tr").evaluate_all("rows => rows.map(r => r.dataset.student)")
    assert printed == expected
    assert phone.locator("#vl-body td.notes-space").count() == len(expected)
    pdf = ARTIFACTS / "visit-list.pdf"
    phone.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    phone.emulate_media(media="screen")
