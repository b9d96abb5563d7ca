"""Model specifications: the YAML a researcher edits, validated on load.

A spec names everything that decides a model: the indicators, LightGBM's parameters,
the horizon and snapshots, the temporal split, the calibration, the visit capacity,
the fairness groups, the tiers and the baselines. Errors name the offending key.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from training.errors import SpecError

# LightGBM parameters this project sets itself; a spec may not override them because
# they decide what the model is (a binary classifier) or whether it is reproducible.
_RESERVED_PARAMS = {"objective", "seed", "deterministic", "monotone_constraints"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Capacity(_Strict):
    """How many students mentors can visit per snapshot: a count or a share of the population."""

    count: int | None = Field(default=None, gt=0)
    share: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Capacity:
        if (self.count is None) == (self.share is None):
            raise ValueError("give exactly one of `count` or `share`")
        return self

    def k(self, population: int) -> int:
        """The number of students flagged in a population of this size (at least 1)."""
        if population <= 0:
            return 0
        if self.count is not None:
            return min(self.count, population)
        return max(1, min(population, math.ceil(self.share * population)))  # type: ignore[operator]

    def describe(self) -> str:
        if self.count is not None:
            return f"{self.count} students per snapshot"
        return f"{self.share:.0%} of students per snapshot"


class Tiers(_Strict):
    """Risk tiers by rank: `high` = the top `capacity`, `medium` = the next `medium_share`."""

    medium_share: float = Field(default=0.10, ge=0, le=1)


class LightGBMSpec(_Strict):
    """LightGBM's parameters and the boosting schedule."""

    params: dict[str, Any] = Field(default_factory=dict)
    num_boost_round: int = Field(default=500, gt=0)
    early_stopping_rounds: int = Field(default=50, gt=0)
    monotone: dict[str, Literal[-1, 0, 1]] = Field(default_factory=dict)
    """Indicator -> +1 (risk never falls as it grows), -1, or 0."""

    @field_validator("params")
    @classmethod
    def _no_reserved(cls, params: dict[str, Any]) -> dict[str, Any]:
        reserved = sorted(_RESERVED_PARAMS & set(params))
        if reserved:
            raise ValueError(
                f"{', '.join(reserved)} cannot be set here; the project sets it "
                "(binary objective, `seed` at the top level, `monotone` for constraints)"
            )
        return params


class SplitSpec(_Strict):
    """Which snapshots test and validate; the rest train. Shares apply to tables without time."""

    test_snapshots: int = Field(default=1, ge=1)
    validation_snapshots: int = Field(default=1, ge=1)
    min_test_leavers: int = Field(default=0, ge=0)
    """The test period grows (last 2, 3... snapshots) until it holds this many leavers."""
    test_share: float = Field(default=0.2, gt=0, lt=0.5)
    validation_share: float = Field(default=0.2, gt=0, lt=0.5)


class Condition(_Strict):
    """One flag of a rule baseline: `indicator op value`, e.g. attendance_rate < 0.9."""

    indicator: str
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: bool | int | float | str


class Candidates(_Strict):
    """What model selection compares on the validation snapshots."""

    lightgbm_grid: list[dict[str, Any]] = Field(default_factory=lambda: [{}])
    """Each entry overrides `lightgbm.params`; one LightGBM candidate per entry."""
    logistic_regression: bool = True
    environment: bool = True
    """Each school's (and township's) leaving rate before the snapshot: the bar to clear."""

    @field_validator("lightgbm_grid")
    @classmethod
    def _grid(cls, grid: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for entry in grid:
            reserved = sorted(_RESERVED_PARAMS & set(entry))
            if reserved:
                raise ValueError(f"{', '.join(reserved)} cannot be set here; the project sets it")
        return grid


class Baselines(_Strict):
    """The simple rules the model must beat; each scores a student by how many flags are raised."""

    ministry_rule: list[Condition] = Field(default_factory=list)
    abc_flags: list[Condition] = Field(default_factory=list)
    logistic_regression: bool = True
    """Kept for older specs: the logistic regression is now a candidate (`candidates`)."""


class ModelSpec(_Strict):
    """One model specification (see models/lightgbm.yaml for a commented example)."""

    name: str = Field(min_length=1)
    description: str = ""
    indicators: Literal["all"] | list[str] = "all"
    exclude: list[str] = Field(default_factory=list)
    horizon_days: int = Field(default=180, gt=0, le=730)
    snapshots: Literal["term_start"] | list[str] = "term_start"
    split: SplitSpec = Field(default_factory=SplitSpec)
    calibration: Literal["isotonic", "platt"] = "isotonic"
    capacity: Capacity = Field(default_factory=lambda: Capacity(share=0.05))
    fairness_groups: list[str] = Field(default_factory=list)
    tiers: Tiers = Field(default_factory=Tiers)
    lightgbm: LightGBMSpec = Field(default_factory=LightGBMSpec)
    baselines: Baselines = Field(default_factory=Baselines)
    candidates: Candidates = Field(default_factory=Candidates)
    promote_metric: Literal["pr_auc", "roc_auc", "precision_at_k", "recall_at_k"] = "pr_auc"
    must_beat: list[Literal["ministry_rule", "abc_flags", "environment", "logistic_regression"]] = (
        Field(default_factory=lambda: ["ministry_rule", "abc_flags", "environment"])
    )
    """Scorers the chosen model must beat on the test snapshot before it may become champion
    (those the data cannot run are noted and skipped)."""
    seed: int = 42

    @field_validator("snapshots")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        if isinstance(value, list):
            import pandas as pd

            for item in value:
                try:
                    pd.Timestamp(str(item))
                except ValueError as exc:
                    raise ValueError(f"{item!r} is not a date (use YYYY-MM-DD)") from exc
            if len(value) < 3:
                raise ValueError("list at least 3 snapshot dates (train, validation, test)")
        return value

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False)


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see models/lightgbm.yaml)"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def parse_spec(data: Any, source: str = "spec") -> ModelSpec:
    """Validate a spec given as a mapping; raise SpecError naming each bad key."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a spec must be a mapping of keys to values")
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source} is not a valid model spec:\n{_format_errors(exc)}") from None


def load_spec(path: Path) -> ModelSpec:
    """Read and validate a spec file."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML: {exc}") from None
    return parse_spec(data, source=str(path))


def default_spec_path() -> Path:
    """models/lightgbm.yaml in the working directory, else the one beside the package."""
    here = Path("models/lightgbm.yaml")
    if here.is_file():
        return here
    return Path(__file__).resolve().parent.parent / "models" / "lightgbm.yaml"
