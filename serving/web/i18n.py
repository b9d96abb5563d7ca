"""Every word on the case workers' page: one catalogue per language, `locales/zh.json` (the
default) and `locales/en.json`, with the same keys.

The template renders the shell in one language; both catalogues go to the browser so that
switching language needs no reload. `{name}` placeholders are filled in by page.js. Reasons
are not here: they come with each score, written by `serving.wording` when it was scored.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
LOCALES = Path(__file__).resolve().parent / "locales"


@functools.cache
def table(lang: Lang) -> dict[str, str]:
    """All texts in one language."""
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def pick(lang: str | None) -> Lang:
    """A supported language, or the default."""
    return lang if lang in LANGS else DEFAULT_LANG  # type: ignore[return-value]
