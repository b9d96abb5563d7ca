"""`users add` checks a scope's name against the places that exist, and pins it to a county.

The places come from the schools table of a data folder (before the first batch) or from
the latest published batch. An unknown name, or a bare township or school name found in
several counties, is refused with a message that says what to write instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from features.errors import UserError
from serving.auth import Scope, ScopeError


@dataclass(frozen=True)
class Place:
    """One school and where it is."""

    county: str
    township: str
    school_id: str


def places_from_data(data_dir: Path) -> list[Place]:
    """The schools of a data folder (its `schools` table), as places."""
    from features.io import FileProblem, find_table_files, read_table_file

    files = find_table_files(Path(data_dir), "schools")
    if not files:
        raise UserError(f"{data_dir}: no schools.csv or schools.parquet to check the scope against")
    places = []
    for path in files:  # one file, or the pieces of a split export
        try:
            table = read_table_file(path, "schools").data
        except FileProblem as exc:
            raise UserError(str(exc)) from exc
        missing = {"school_id", "county", "township"} - set(table.column_names)
        if missing:
            raise UserError(f"{path}: no column {', '.join(sorted(missing))}")
        columns = [
            [str(v).strip() for v in table.column(c).to_pylist()]
            for c in ("county", "township", "school_id")
        ]
        places += [Place(*row) for row in zip(*columns, strict=True)]
    return places


def _examples(names: Iterable[str]) -> str:
    shown = sorted(set(names))
    more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
    return ", ".join(shown[:8]) + more


def resolve_scope(scope: Scope, places: list[Place], source: str) -> Scope:
    """`scope` checked against `places` (from `source`, for messages) and pinned to its county."""
    if scope.kind == "all":
        return scope
    counties = {p.county for p in places}
    if scope.kind == "county":
        if scope.value not in counties:
            raise ScopeError(
                f"county {scope.value!r} is not in {source} (counties: {_examples(counties)})"
            )
        return scope
    if scope.kind == "township":
        named = [(p.county, p.township) for p in places]
    else:
        named = [(p.county, p.school_id) for p in places]
    noun = "township" if scope.kind == "township" else "school"
    if scope.county is not None:
        if (scope.county, scope.value) not in set(named):
            known = [n for c, n in named if c == scope.county] or [f"{c}/{n}" for c, n in named]
            raise ScopeError(
                f"{noun} {scope.county}/{scope.value} is not in {source} "
                f"({noun}s: {_examples(known)})"
            )
        return scope
    found = sorted({c for c, n in named if n == scope.value})
    if not found:
        raise ScopeError(
            f"{noun} {scope.value!r} is not in {source} ({noun}s: {_examples(n for _, n in named)})"
        )
    if len(found) > 1:
        raise ScopeError(
            f"{noun} {scope.value!r} is in {len(found)} counties ({', '.join(found)}): "
            f"say which with {scope.kind}:COUNTY/{scope.value}"
        )
    return Scope(scope.kind, scope.value, found[0])
