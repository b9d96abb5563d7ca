"""Browser fixtures: Debian's Chromium driven by Playwright (never Playwright's own download).

tests/scripts/chromium.sh installs the `chromium` package when it is missing. If that
fails, the browser tests fail loudly in CI (`CI` set) and are skipped elsewhere with the
reason, so a laptop without apt access can still run the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
INSTALL = Path(__file__).resolve().parents[1] / "scripts" / "chromium.sh"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _no_browser(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need Chromium and CI must run them: {reason}")
    pytest.skip(f"no Chromium for the browser tests: {reason}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium, installed by tests/scripts/chromium.sh when missing."""
    if not os.path.exists(CHROMIUM) and shutil.which("chromium") is None:
        done = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            _no_browser(f"{INSTALL.name} failed: {done.stderr.strip()[-500:]}")
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        _no_browser("chromium is not on PATH after the install script ran")
    return str(path)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        yield launched
        launched.close()
