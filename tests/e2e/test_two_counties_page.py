"""The page with two counties that share student ids, in a real Chromium.

A reader whose scope holds both counties follows a child from the list and must land on
that child's card, not the other county's child with the same id; a bare id asks which
county is meant.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from serving.auth import Scope
from serving.store import ScoreStore
from tests.e2e.live_server import live_server
from tests.e2e.test_page import DESKTOP, TIMEOUT_MS
from tests.e2e.test_two_counties import _county
from tests.serving.conftest import registry_template  # noqa: F401 (fixture)
from tests.serving.serving_rows import AS_OF

pytestmark = pytest.mark.browser


def _sign_in(page, url: str, token: str, path: str) -> None:
    page.goto(url + path)
    page.get_by_text("使用访问令牌登录").click()
    page.get_by_label("访问令牌").fill(token)
    page.get_by_role("button", name="用令牌登录").click()
    page.locator("#signout").wait_for(state="visible")


def test_a_link_from_the_list_opens_the_child_of_its_own_county(
    browser,
    registry_template: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(registry_template / "mlflow.sqlite", home / "mlflow.sqlite")
    qingshan, lushui = _county("青山县", 1), _county("绿水县", 2)
    shared = sorted({r["student_id"] for r in qingshan} & {r["student_id"] for r in lushui})
    assert shared, "the two counties must share ids for this test to mean anything"
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}")
    store.publish_batch(AS_OF, "1", qingshan + lushui)
    token = store.add_user("县教育局", "caseworker", Scope.parse("all"))
    store.close()
    # The 绿水县 child with the highest risk among the shared ids: on the list's first page.
    risk = {r["student_id"]: r["risk"] for r in lushui}
    sid = max(shared, key=lambda i: risk[i])

    with live_server(home) as url:
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            _sign_in(page, url, token, "/")
            # The list shows both children; follow the one of 绿水县.
            row = page.locator(f'#watchlist-body tr[data-student="{sid}"]')
            row.first.wait_for()
            link = page.get_by_role("link", name=f"绿水县{sid}")
            link.scroll_into_view_if_needed()
            link.click()
            page.locator("#card-view").wait_for(state="visible")
            assert "county=" in page.url
            assert f"绿水县{sid}" in page.locator("#card-view").inner_text()

            # A bare id in the address is ambiguous: the page asks for the county.
            page.goto(f"{url}/students/{sid}")
            page.locator("#notfound-view").wait_for(state="visible")
            assert "请选择县" in page.locator("#nf-h").inner_text()
            page.get_by_role("link", name="青山县").click()
            page.locator("#card-view").wait_for(state="visible")
            assert f"青山县{sid}" in page.locator("#card-view").inner_text()
        finally:
            context.close()
    assert errors == []
