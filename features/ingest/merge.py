"""One table's report and manifest entry from the outcomes of its pieces.

A rule broken in several pieces is one problem, as the validator reports a folder of pieces:
the counts added up, the first examples in the order of the pieces (each names its piece).
A fatal problem names its own piece and is kept as it is.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from features.ingest.piece_tasks import Outcome
from features.validate import EXAMPLES, Problem


def merge_problems(outcomes: list[Outcome]) -> list[Problem]:
    """The problems of a table's pieces, in the order of the pieces, one per rule and column."""
    merged: dict[tuple[object, ...], Problem] = {}
    out: list[Problem] = []
    for outcome in outcomes:
        for problem in outcome.problems:
            if problem.fatal:
                out.append(problem)
                continue
            key = (problem.table, problem.rule, problem.column, problem.decision, problem.message)
            seen = merged.get(key)
            if seen is None:
                merged[key] = replace(problem, examples=list(problem.examples))
                out.append(merged[key])
                continue
            seen.count += problem.count
            seen.examples = (seen.examples + problem.examples)[:EXAMPLES]
    return out


def merge_written(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A table's manifest entry from what each piece's task wrote."""
    files = sorted(f for entry in entries for f in entry["files"])
    return {
        "rows": sum(entry["rows"] for entry in entries),
        "yearly": any(entry["yearly"] for entry in entries),
        "partitions": len({str(Path(f).parent) for f in files}),
        "files": files,
    }
