"""The model report a training run logs, opened in headless Chromium: a readable one-page
summary up front, every chart loaded and each with a sentence saying how to read it.

The summary's screenshot goes to tests/artifacts/report/summary.png (docs/screenshots/
report-summary.png in the README is a copy of one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dropout_risk import workbench as dr
from tests.training.conftest import fast
from training.pipeline import Outcome
from training.spec import load_spec

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "report"
# One printed A4 page at 96 dpi is about 1,120 px tall; the summary must fit on it.
ONE_PAGE_PX = 1120


@pytest.fixture(scope="module")
def outcome(county_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    """A model trained on the shared small county in its own home (registered, with report)."""
    from dropout_risk.settings import get_settings

    home = tmp_path_factory.mktemp("report-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DROPOUT_RISK_HOME", str(home))
        get_settings.cache_clear()
        spec = fast(load_spec(dr.spec_path("models/lightgbm.yaml")))
        yield dr.train(county_dir, spec=spec)
    get_settings.cache_clear()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    yield context.new_page()
    context.close()


def test_report_summary_reads_on_one_page(page, outcome: Outcome) -> None:
    ev = outcome.evaluation
    page.goto(outcome.report_path.with_name("report.en.html").resolve().as_uri())
    summary = page.locator("section.summary")
    text = summary.inner_text()
    # Who is in the population, how many left, what the model catches at the capacity vs rules.
    assert f"{int(ev.model['rows']):,}" in text and "students in the test snapshot" in text
    assert f"{int(ev.model['positives']):,}" in text and "left school within 180 days" in text
    assert "Who is counted" in text and "grades" in text
    assert f"Visiting the {ev.k:,} students the model ranks highest" in text
    for rule in ("Ministry rule", "ABC flags", "Logistic regression"):
        assert rule in text
    assert summary.bounding_box()["height"] <= ONE_PAGE_PX

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = summary.screenshot(path=str(ARTIFACTS / "summary.png"))
    assert len(shot) > 10_000


def test_every_chart_loads_and_says_how_to_read_it(page, outcome: Outcome) -> None:
    page.goto(outcome.report_path.with_name("report.en.html").resolve().as_uri())
    images = page.locator("img")
    assert images.count() >= 7  # deciles, precision@k, calibration, ROC, PR, importance, fairness
    loaded = page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0)")
    assert all(loaded)
    # Each section with a chart carries a "how to read it" sentence before the chart.
    unexplained = page.evaluate(
        """[...document.querySelectorAll('h2')].filter(h => {
            const part = [];
            for (let n = h.nextElementSibling; n && n.tagName !== 'H2'; n = n.nextElementSibling)
                part.push(n);
            const chart = part.some(n => n.tagName === 'IMG' || n.querySelector?.('img'));
            return chart && !part.some(n => n.classList.contains('read'));
        }).map(h => h.textContent)"""
    )
    assert unexplained == []
    # Nothing is fetched from elsewhere: the charts are embedded, so the file can be mailed.
    sources = page.evaluate("[...document.images].map(i => i.src.slice(0, 22))")
    assert set(sources) == {"data:image/png;base64,"}
