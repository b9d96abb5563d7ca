"""`estimate_effects`: from plain frames to every estimate, and the words and JSON that say it.

Inputs are the validated tables, visits from any number of sources, and the decision log
(published batches; may be empty). Snapshots are the decision log's dates when it has any,
else the term starts; each is used only when its windows closed before the export date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.catalogue import CATALOGUE
from features.contract import Tables
from features.errors import UserError
from features.training_set import snapshot_dates
from training.effects.estimate import DoublyRobust, Estimate, doubly_robust, group_estimate, naive
from training.effects.frames import snapshot_rows, student_county, visits_frame
from training.effects.rd import Discontinuity, discontinuity, running_variable

MIN_GROUP = 20  # visited and unvisited children a group needs for its own estimate
HIGH, MEDIUM = 0.05, 0.20  # fallback tiers by predicted risk without a visit


@dataclass
class EffectsResult:
    """Every estimate of one run, and what it rests on."""

    naive: Estimate
    dr: DoublyRobust
    rd: Discontinuity
    by_group: list[dict[str, object]]
    used: list[pd.Timestamp]
    left_out: list[tuple[pd.Timestamp, str]]
    window_days: int
    horizon_days: int
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The issue's shape: the DR estimate on top, the naive one and the groups inside."""
        return {
            **self.dr.estimate.as_dict(),
            "naive": self.naive.as_dict(),
            "by_group": self.by_group,
        }

    def summary(self, counties: list[str]) -> dict[str, object]:
        """What the page and the training report show: the JSON estimates, the words, and
        when and where from (plain JSON values only)."""
        return {
            **self.as_json(),
            "summary": self.plain_words(),
            "counties": counties,
            "snapshots": [f"{d:%Y-%m-%d}" for d in self.used],
            "window_days": self.window_days,
            "horizon_days": self.horizon_days,
            "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def save(self, path: Path, counties: list[str]) -> Path:
        """The summary for the page, written whole or not at all."""
        payload = self.summary(counties)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        partial.replace(path)
        return path

    def plain_words(self) -> str:
        """One paragraph a county can read; no figure without its interval."""
        e, n = self.dr.estimate, self.naive
        months = self.horizon_days / 30.4
        verb = "less" if e.att < 0 else "more"
        return (
            f"Visited children left school {abs(e.att) * 100:.1f} points {verb} often within "
            f"{months:.0f} months than comparable children who were not visited (95% interval "
            f"{e.ci_low * 100:+.1f} to {e.ci_high * 100:+.1f} points; based on {e.n_treated:,} "
            f"visits within {self.window_days} days of a list and {e.n_control:,} children not "
            f"visited, over {len(self.used)} snapshots). The naive comparison says "
            f"{n.att * 100:+.1f} points ({n.ci_low * 100:+.1f} to {n.ci_high * 100:+.1f}): it "
            "misleads because mentors visit the children most likely to leave, so the visited "
            "would have left more often anyway."
        )


def _snapshots(tables: Tables, log: pd.DataFrame, given: Sequence[object] | None) -> list:
    if given:
        return snapshot_dates(tables, given)
    if len(log):
        return sorted(pd.to_datetime(log["as_of"]).unique())
    return snapshot_dates(tables, "term_start")


def _with_log(frame: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Each row's tier, top reason, rank and cut-off on the batch published at its snapshot."""
    if not len(log):
        return frame
    keep = ["as_of", "county", "student_id", "tier", "top_reason", "rank_county", "cutoff_rank"]
    latest = log.sort_values("batch_id").drop_duplicates(
        ["as_of", "county", "student_id"], keep="last"
    )
    latest = latest[keep].rename(columns={"as_of": "snapshot"})
    latest["snapshot"] = pd.to_datetime(latest["snapshot"])
    latest["student_id"] = latest["student_id"].astype(str)
    return frame.merge(latest, on=["snapshot", "county", "student_id"], how="left")


def _groups(frame: pd.DataFrame, dr: DoublyRobust, from_log: bool) -> list[dict[str, object]]:
    y = frame["left"].to_numpy(float)
    d = frame["treated"].to_numpy(float)
    if from_log:
        splits = {"tier": frame["tier"], "top_reason": frame["top_reason"]}
    else:
        order = pd.Series(dr.outcome_control).rank(ascending=False, method="first").to_numpy()
        share = order / len(order)
        tier = np.where(share <= HIGH, "high", np.where(share <= HIGH + MEDIUM, "medium", "low"))
        splits = {"tier (predicted risk without a visit)": pd.Series(tier, index=frame.index)}
    out = []
    for group, values in splits.items():
        for value in sorted(values.dropna().astype(str).unique()):
            rows = (values.astype(str) == value).to_numpy()
            n1, n0 = int(d[rows].sum()), int((1 - d[rows]).sum())
            entry: dict[str, object] = {"group": group, "value": value}
            if min(n1, n0) >= MIN_GROUP:
                est = group_estimate(
                    y[rows], d[rows], dr.propensity[rows], dr.outcome_control[rows], "dr"
                )
                entry.update({k: v for k, v in est.as_dict().items() if k != "method"})
            else:
                entry.update(
                    {"att": None, "ci_low": None, "ci_high": None, "n_treated": n1, "n_control": n0}
                )
            out.append(entry)
    return out


def estimate_effects(
    tables: Tables,
    visits: Sequence[pd.DataFrame | None],
    log: pd.DataFrame | None = None,
    window_days: int = 30,
    horizon_days: int = 180,
    snapshots: Sequence[object] | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> EffectsResult:
    """Naive, doubly robust, RD and by-group effects of a visit on leaving school."""
    if window_days < 1 or horizon_days < 1:
        raise UserError("--window-days and --horizon must be at least 1")
    counties = student_county(tables)
    log = log if log is not None else pd.DataFrame()
    if len(log):
        log = log[log["county"].isin(set(counties))]
    all_visits = visits_frame(list(visits), counties)
    if all_visits.empty:
        raise UserError("no visits: record them through the API or put a visits.csv in the folder")
    snaps = snapshot_rows(
        tables, _snapshots(tables, log, snapshots), all_visits, window_days, horizon_days, progress
    )
    if not snaps.used:
        why = "; ".join(f"{d:%Y-%m-%d}: {r}" for d, r in snaps.left_out) or "no snapshots"
        raise UserError(f"no snapshot has its windows closed before the export date ({why})")
    frame = _with_log(snaps.frame, log)
    covariates = [c for c in CATALOGUE if c in frame.columns] + ["visits_before"]
    dr = doubly_robust(frame, covariates, seed=seed, horizon_days=horizon_days)
    from_log = "tier" in frame.columns and frame["tier"].notna().any()
    rd = _rd(frame) if from_log else Discontinuity(
        None, None, None, None, 0, 0, None, None, "no published list at these snapshots"
    )  # fmt: skip
    notes = list(dr.notes)
    if not from_log:
        notes.append("no published list at these snapshots: tiers are by the predicted risk "
                     "without a visit; no split by reason")  # fmt: skip
    return EffectsResult(
        naive=naive(frame["treated"].to_numpy(), frame["left"].to_numpy()),
        dr=dr,
        rd=rd,
        by_group=_groups(frame, dr, from_log),
        used=snaps.used,
        left_out=snaps.left_out,
        window_days=window_days,
        horizon_days=horizon_days,
        notes=notes,
    )


def _rd(frame: pd.DataFrame) -> Discontinuity:
    ranked = frame.dropna(subset=["rank_county", "cutoff_rank"])
    x = running_variable(ranked["rank_county"], ranked["cutoff_rank"])
    return discontinuity(x, ranked["treated"].to_numpy(), ranked["left"].to_numpy())
