"""The page's words: one catalogue per language with the same keys and placeholders, every
key the page uses present, and the wordings the issue found wrong gone."""

from __future__ import annotations

import re
from pathlib import Path

from features.catalogue import describe
from serving.web.i18n import LANGS, table

WEB = Path(__file__).resolve().parents[2] / "serving" / "web"


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    zh, en = table("zh"), table("en")
    assert zh.keys() == en.keys()
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        assert set(re.findall(r"\{(\w+)\}", zh[key])) == set(re.findall(r"\{(\w+)\}", en[key]))


def test_every_key_the_page_uses_is_in_both_catalogues() -> None:
    script = (WEB / "static" / "page.js").read_text(encoding="utf-8")
    template = (WEB / "templates" / "page.html").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("(\w+)"', script)) | set(re.findall(r'data-t="(\w+)"', template))
    used |= set(re.findall(r'status\("(\w+)"\)', script))
    for lang in LANGS:
        missing = used - table(lang).keys()
        assert not missing, (lang, missing)


def test_the_wordings_the_issue_found_are_gone() -> None:
    zh, en = table("zh"), table("en")
    assert "名，全县第" not in zh["ranks"] and "风险" in zh["ranks"]  # not an exam ranking
    assert zh["scope_township"] == "{value}"  # not "乡镇 城关镇"
    assert "模型设定" not in zh["capacity_how"] and "户家庭" not in zh["capacity"]
    assert "研究人员" not in zh["signin_intro"] and "县教育局" in zh["signin_who"]
    assert "education bureau" in en["signin_who"]
    assert "3rd percentile" in describe("score_percentile", 3, "en")
    assert describe("over_age", 1, "en").endswith("1 year")
    assert "超出本年级正常年龄" not in describe("over_age", 2, "zh")


def test_every_key_of_every_page_script_is_in_both_catalogues() -> None:
    """page.html loads more scripts than page.js (outreach.js, effects.js): their keys too."""
    template = (WEB / "templates" / "page.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script src="/static/(\w+\.js)"', template)
    assert "page.js" in scripts and len(scripts) > 1
    used: set[str] = set()
    for name in scripts:
        script = (WEB / "static" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("(\w+)"', script))
        used |= set(re.findall(r'status\("(\w+)"\)', script))
    for lang in LANGS:
        assert not used - table(lang).keys(), (lang, used - table(lang).keys())
