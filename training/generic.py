"""The default spec fitted to any table: county-only parts it cannot use are skipped, noted.

models/lightgbm.yaml is written for a county's indicators (a monotone constraint on
unexcused absence, rules on over-age and attendance, fairness groups). A table without
those columns gets the same spec minus those parts, and a note for each, instead of a
refusal; a spec the user names is taken as written.
"""

from __future__ import annotations

import pandas as pd

from training.spec import ModelSpec, default_spec_path, load_spec, parse_spec


def table_spec(
    frame: pd.DataFrame, spec: ModelSpec | None = None
) -> tuple[ModelSpec, dict[str, str]]:
    """The (default) spec with the parts `frame` lacks columns for removed, and why."""
    spec = spec or load_spec(default_spec_path())
    data = spec.model_dump(mode="json", exclude_none=True)
    columns = set(map(str, frame.columns))
    notes: dict[str, str] = {}

    monotone = data["lightgbm"]["monotone"]
    for name in [n for n in monotone if n not in columns]:
        del monotone[name]
        notes[f"spec lightgbm.monotone.{name}"] = "skipped: the table has no such column"
    for rule in ("ministry_rule", "abc_flags"):
        missing = [c["indicator"] for c in data["baselines"][rule] if c["indicator"] not in columns]
        if missing:
            data["baselines"][rule] = []
            notes[f"spec baselines.{rule}"] = f"skipped: the table lacks {', '.join(missing)}"
    groups = data["fairness_groups"]
    absent = [g for g in groups if g not in columns]
    if absent:
        data["fairness_groups"] = [g for g in groups if g in columns]
        notes["spec fairness_groups"] = f"skipped {', '.join(absent)}: not in the table"
    if data["indicators"] != "all":
        kept = [c for c in data["indicators"] if c in columns]
        if len(kept) < len(data["indicators"]):
            notes["spec indicators"] = "kept only the listed indicators the table has"
            data["indicators"] = kept or "all"
    data["must_beat"] = [
        b
        for b in data["must_beat"]
        if b not in ("ministry_rule", "abc_flags") or data["baselines"][b]
    ]
    return parse_spec(data, source=f"{spec.name} fitted to the table"), notes
