"""The HTTP API's request and response bodies (they make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, FiniteFloat

from serving.outcomes import Outcome
from serving.text import clean_text

SafeText = Annotated[str, AfterValidator(clean_text)]
"""Text without NUL characters or lone surrogates (PostgreSQL cannot store them)."""
Tier = Literal["high", "medium", "low", "past_age"]
IndicatorValue = FiniteFloat | int | bool | SafeText | None
"""NaN and infinities are refused: an unknown value is left out or null."""


class Problem(BaseModel):
    """An error: one sentence, the same for a missing student and one outside your scope."""

    detail: str


class FieldError(BaseModel):
    """Where a request is wrong and what is wrong; never the input itself."""

    loc: list[str]
    msg: str
    type: str


class Invalid(BaseModel):
    """A request the API cannot take: one sentence, or the fields that are wrong."""

    detail: str | list[FieldError]


class Health(BaseModel):
    status: Literal["ok"]
    model_version: str | None
    model_source: str | None
    batch_as_of: dt.date | None


class Factor(BaseModel):
    """One reason behind a risk: the indicator, the student's own value and its push."""

    indicator: str
    value: IndicatorValue
    contribution: float = Field(description="Push on the log-odds of leaving (pred_contrib).")
    en: str
    zh: str
    kind: Literal["reason", "context"] = Field(
        default="reason", description="reason: raises this child's risk; context: a fact only."
    )
    domain: str | None = Field(default=None, description="attendance, learning, family, ...")
    school_mean: float | None = Field(default=None, description="The school's average.")


class PlaceContext(BaseModel):
    """A school's or township's figures in the latest batch: is the risk the child's or
    the place's?"""

    county: str
    level: Literal["school", "township"]
    place: str = Field(description="The school id, or the township's name.")
    mean_risk: float = Field(ge=0, le=1, description="Mean risk of its children (not past age).")
    n_students: int = Field(ge=1)
    leaving_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of its children who left school in the 365 days before the as-of "
        "date; null when the batch was scored without it.",
    )


class StudentScore(BaseModel):
    """A student's latest score, as a case worker reads it."""

    student_id: str
    name: str | None = Field(description="Shown to case workers in scope; never logged.")
    school_id: str
    township: str
    county: str
    grade: int
    risk: float = Field(ge=0, le=1, description="Calibrated probability of leaving school.")
    tier: str
    rank_in_school: int
    rank_in_county: int
    factors: list[Factor]
    as_of: dt.date
    model_version: str
    left_school: bool = Field(
        default=False,
        description="Not in the latest batch (left school, or moved on): the score and as-of "
        "date are from the last batch that held them; readable by their last school's scope.",
    )
    school_context: PlaceContext | None = Field(
        default=None, description="The school's figures (student card only; null out of scope)."
    )
    township_context: PlaceContext | None = Field(
        default=None,
        description="The township's figures (student card only; null for a school's scope).",
    )


class Watchlist(BaseModel):
    """One page of the ranked list, highest risk first (ties: student_id ascending)."""

    total: int
    limit: int
    offset: int
    as_of: dt.date | None
    students: list[StudentScore]
    places: list[PlaceContext] = Field(
        default_factory=list,
        description="Figures of the schools and townships of the students listed, once each.",
    )


class VisitIn(BaseModel):
    """A home visit to record."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date = Field(description="The day of the visit: not in the future.")
    visitor: Annotated[SafeText, Field(min_length=1, max_length=200, pattern=r"\S")]
    outcome: Outcome
    notes: Annotated[SafeText, Field(max_length=5000)] = ""


class VisitOut(VisitIn):
    id: int
    county: str
    student_id: str
    recorded_at: dt.datetime


class ScoreRequest(BaseModel):
    """Indicator rows to score; leave an indicator out (or null) when it is unknown."""

    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, IndicatorValue]] = Field(min_length=1, max_length=10_000)
    top_k: int = Field(default=5, ge=0, le=20)


class RowScore(BaseModel):
    risk: float
    tier: str | None
    factors: list[Factor]


class ScoreResponse(BaseModel):
    model_version: str
    scores: list[RowScore]


class ModelCard(BaseModel):
    """The champion in service: version, where it came from, what it was trained on."""

    name: str
    version: str
    source: str
    loaded_at: dt.datetime
    features: list[str]
    categorical: dict[str, list[str]]
    training_window: Any = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    spec: Any = None
    tier_thresholds: dict[str, float] | None = None
    family: str = "lightgbm"
    """The winning model family: lightgbm or logistic_regression."""
    candidate: str | None = None
    margins: dict[str, float | None] | None = None
    """Test-snapshot margins of the champion over each scorer it was compared with."""
    details: dict[str, Any] = Field(default_factory=dict)


class ReloadResult(BaseModel):
    changed: bool
    model_version: str


class TrendPoint(BaseModel):
    """A student's score in one scoring batch."""

    as_of: dt.date
    risk: float
    tier: str
    model_version: str


class Capacity(BaseModel):
    """Home visits the latest batch plans for: the high tier is the model spec's capacity."""

    batch: int = Field(
        description="Students in the high tier in your county (the whole batch for scope all)."
    )
    scope: int = Field(description="Of those, the ones in your scope: your share of the visits.")


class Me(BaseModel):
    """Who the token belongs to, what their scope holds, and the places to filter by."""

    name: str
    role: str
    scope: str
    as_of: dt.date | None
    horizon_days: int = Field(description="The risk is of leaving school within this many days.")
    capacity: Capacity
    tiers: dict[str, int]
    schools: list[str]
    townships: list[str]
    counties: list[str] = Field(
        description="Counties in scope: a student id is unique only within its county."
    )
