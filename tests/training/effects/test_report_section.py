"""The training report's "Did the visits work?": the page's words and figures, the plot by
tier, or the one-line reason; nothing when the data folder has no visits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from features.synthetic import generate_county
from features.validate import load_tables
from tests.training.conftest import fast
from training.effects.in_report import effects_plot, visit_effects
from training.spec import ModelSpec


def test_no_visits_no_section_and_too_few_says_why(tmp_path: Path, county_dir: Path) -> None:
    assert visit_effects(load_tables(county_dir), 180) is None  # no visits.csv
    tiny = tmp_path / "tiny"
    generate_county(tiny, students=60, years=3, seed=1, visit_effect=0.4)
    effects = visit_effects(load_tables(tiny), 180)
    assert effects is not None and "too few children to compare" in effects["none"]
    assert effects_plot(effects, tmp_path) is None


@pytest.mark.slow
def test_the_report_says_whether_the_visits_worked(
    tmp_path: Path, spec: ModelSpec, tracking_uri: str, artifact_dir: Path
) -> None:
    county = tmp_path / "county"
    generate_county(county, students=600, years=3, seed=1, visit_effect=0.5)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(fast(spec).to_yaml())
    result = CliRunner().invoke(app, ["train", str(county), "--spec", str(spec_file), "--json"])
    assert result.exit_code == 0, result.output

    effects = visit_effects(load_tables(county), 180)
    assert effects is not None and "att" in effects
    folder = artifact_dir.parent / "reports" / "version-1"
    english = (folder / "report.en.html").read_text(encoding="utf-8")
    section = english[english.index("Did the visits work?") :]
    # The page's own sentence, figures and all: the same estimate, its interval, N visits.
    assert effects["summary"].split(" (95% interval")[0] in section
    assert f"based on {effects['n_treated']:,} visits" in section
    assert "The naive comparison says" in section and "misleads" in section
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', section)
    chinese = (folder / "report.html").read_text(encoding="utf-8")
    zh = chinese[chinese.index("家访是否有效") :]
    assert f"{effects['att'] * 100:+.1f}" in zh and "简单对比" in zh
    assert 'src="data:image/png;base64,' in zh
