"""One school year: who is enrolled, who leaves and comes back, daily and exam records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from features.contract import ATTENDANCE_STATUSES

from .calendar import SchoolCalendar
from .days import AttendanceInputs, LeavingInputs, attendance, leaving_days
from .dropouts import RiskInputs, draw_reasons, draw_returns, household_log_risk, static_log_risk
from .enrollments import IN_SCHOOL, OUT, Population, admit_new_cohort, boards, promote
from .geography import County
from .grades import exam_scores, term_level
from .households import Households, step_households
from .plan import CalendarPlan
from .students import Students
from .visits import Observed, VisitSim, plan_visits, remember_absence
from .writer import StreamWriter, coded

CHUNK = 16384  # children per day matrix: ~200 days x 16k x a few float32 matrices = tens of MB
RngFactory = Callable[..., np.random.Generator]


@dataclass
class Records:
    """Rows of the smaller tables, accumulated year by year as numpy arrays."""

    enrollments: list[dict[str, np.ndarray]] = field(default_factory=list)
    grades: list[dict[str, np.ndarray]] = field(default_factory=list)
    dropouts: list[dict[str, np.ndarray]] = field(default_factory=list)
    n_dropouts: int = 0
    late_returns: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    enrolled: dict[int, dict[str, int]] = field(default_factory=dict)
    left: dict[int, dict[str, int]] = field(default_factory=dict)
    graduates: int = 0

    def add_dropouts(self, rows: dict[str, np.ndarray]) -> np.ndarray:
        """Append dropout rows; returns their global record numbers."""
        self.dropouts.append(rows)
        first = self.n_dropouts
        self.n_dropouts += len(rows["student"])
        return np.arange(first, self.n_dropouts)


def _bands(grade: np.ndarray) -> dict[str, int]:
    return {"primary": int((grade <= 6).sum()), "junior": int((grade >= 7).sum())}


def _age_on(birth: np.ndarray, day: np.datetime64) -> np.ndarray:
    return ((day - birth).astype(np.int64) // 365.25).astype(np.int64)


def _exam_day(cal: SchoolCalendar, base: int, school: np.ndarray) -> np.ndarray:
    """Schools sit the same exam within a few days of each other."""
    return np.minimum(base + school % 3, cal.n_days - 1)


def simulate_year(
    rng: RngFactory,
    year: int,
    county: County,
    hh: Households,
    st: Students,
    pop: Population,
    records: Records,
    attendance_out: StreamWriter,
    data_end: np.datetime64,
    report: Callable[[float], None],
    plan: CalendarPlan | None = None,
    visits: VisitSim | None = None,
) -> None:
    """Run school year `year`: enrol, leave and return, attend, sit exams, move up.

    With a varied `plan`, the year runs on the days any school is open and each child's
    attendance is kept on the school days of their own school; returns are recorded on the
    day the child came back, which may fall in a holiday, rather than the next school day.
    """
    plan = plan or CalendarPlan()
    cal = plan.calendar(year)
    closed = plan.closed(year, cal.days) if plan.varied else None
    d = cal.n_days
    admit_new_cohort(pop, hh, st, year)

    # Children who left in an earlier year and come back this year (on a school day).
    back = (pop.status == OUT) & (pop.pending_return <= cal.last_day)
    start = np.zeros(st.n, dtype=np.int64)
    start[back] = cal.index_on_or_after(pop.pending_return[back])
    came_back = pop.pending_return[back] if plan.varied else cal.days[start[back]]
    records.late_returns.append((pop.open_record[back], came_back))
    pop.status[back] = IN_SCHOOL
    pop.returned_before[back] = True
    pop.repeats[back] += 1  # they return to the grade they left
    pop.pending_return[back] = np.datetime64("NaT")
    pop.open_record[back] = -1

    out_homes = st.household[pop.status == OUT]
    household_out = np.zeros(hh.n, dtype=bool)
    household_out[out_homes] = True

    a = np.flatnonzero(pop.status == IN_SCHOOL)
    home = st.household[a]
    boarding = boards(county, pop, a)
    km = pop.km[a]
    records.enrolled[year] = _bands(pop.grade[a])
    no_distance = rng(1).random(len(a)) < 0.04  # some schools leave the distance blank
    records.enrollments.append(
        {
            "student": a,
            "year": np.full(len(a), year),
            "school": pop.school[a].copy(),
            "grade": pop.grade[a].copy(),
            "boarding": boarding,
            "km": np.where(no_distance, np.nan, km),
        }
    )

    before = hh.state.copy()
    change_date = step_households(rng(2), hh, year)
    after = hh.state
    change_day = np.where(np.isnat(change_date[home]), d, cal.index_on_or_after(change_date[home]))
    lb_before, lb_after = before.left_behind()[home], after.left_behind()[home]

    age = _age_on(st.birth_date[a], cal.first_day)
    x = RiskInputs(
        grade=pop.grade[a],
        age=age,
        female=st.female[a],
        rural=hh.rural[home],
        remote=hh.remote[home],
        disability=st.disability[a],
        over_age=age - pop.grade[a] - 5,
        repeats=pop.repeats[a],
        ability=st.ability[a],
        engagement=st.engagement[a],
        propensity=st.propensity[a],
        km=km,
        boarding=boarding,
        sibling_out=household_out[home],
        returned_before=pop.returned_before[a],
    )
    static = static_log_risk(x)
    risk_before = household_log_risk(before.poor[home], before.allowance[home], lb_before, x)
    risk_after = household_log_risk(after.poor[home], after.allowance[home], lb_after, x)
    level1 = term_level(rng(3), x.ability, x.engagement)
    decline = np.nan_to_num(pop.last_level[a] - level1, nan=0.0)

    absence = (
        -3.8
        + 0.45 * before.poor[home]
        + np.where(lb_before == 2, 0.45, np.where(lb_before == 1, 0.25, 0.0))
        - 0.55 * x.engagement
        + 0.2 * x.rural
        + 0.035 * np.clip(km, 0, 30) * ~boarding
        + 0.4 * (x.disability > 0)
        + 0.2 * np.clip(x.over_age, 0, 3)
        + 0.3 * x.propensity
    )
    left = np.full(len(a), d)
    back_day = np.where(back[a], start[a], d)
    days_in = np.zeros(len(a), dtype=np.int64)
    days_absent = np.zeros(len(a), dtype=np.int64)
    for c, lo in enumerate(range(0, len(a), CHUNK)):
        s = slice(lo, min(lo + CHUNK, len(a)))
        left[s] = leaving_days(
            rng(10, c),
            cal,
            LeavingInputs(
                static=static[s],
                household_before=risk_before[s],
                household_after=risk_after[s],
                change_day=change_day[s],
                after_exam=0.6 * np.clip(decline[s], 0, None),
                start_day=start[a[s]],
                can_leave=~back[a[s]],
                rural=x.rural[s],
            ),
        )
        ramp_left = None
        if visits is not None:
            ramp_left = left[s].copy()
            seen = _attendance_inputs(absence[s], km[s], boarding[s], x.rural[s], start[a[s]])
            observed = Observed(
                poor_before=before.poor[home[s]],
                poor_after=after.poor[home[s]],
                change_day=change_day[s],
                over_age=x.over_age[s],
                repeats=x.repeats[s],
                disabled=x.disability[s] > 0,
                sibling_out=x.sibling_out[s],
                grade=x.grade[s],
            )
            shut = None if closed is None else (closed, plan.school_variant[pop.school[a[s]]])
            seen = replace(seen, left_day=left[s], back_day=back_day[s])
            left[s] = _visit(rng, c, cal, visits, a[s], seen, observed, shut)
        leavers = np.flatnonzero(left[s] < d) + lo
        if len(leavers):
            later = left[leavers] >= change_day[leavers]
            poor = np.where(later, after.poor[home[leavers]], before.poor[home[leavers]])
            allow = np.where(later, after.allowance[home[leavers]], before.allowance[home[leavers]])
            lb = np.where(later, lb_after[leavers], lb_before[leavers])
            sub = RiskInputs(**{k: v[leavers] for k, v in x.__dict__.items()})
            reason = draw_reasons(rng(11, c), sub, poor, allow, lb, decline[leavers])
            left_on = cal.days[left[leavers]]
            returns_on = draw_returns(rng(12, c), reason, left_on)
            this_year = returns_on <= cal.last_day
            back_day[leavers[this_year]] = cal.index_on_or_after(returns_on[this_year])
            returned_on = np.full(len(leavers), np.datetime64("NaT"), dtype="datetime64[D]")
            returned_on[this_year] = (
                returns_on[this_year] if plan.varied else cal.days[back_day[leavers[this_year]]]
            )
            numbers = records.add_dropouts(
                {
                    "student": a[leavers],
                    "left_on": left_on,
                    "reason": reason,
                    "returned_on": returned_on,
                    "grade": x.grade[leavers],
                }
            )
            gone = ~this_year
            pop.status[a[leavers[gone]]] = OUT
            pop.open_record[a[leavers[gone]]] = numbers[gone]
            later_back = returns_on[gone] <= data_end  # NaT compares False: never back
            pop.pending_return[a[leavers[gone]]] = np.where(
                later_back, returns_on[gone], np.datetime64("NaT")
            )

        inputs = _attendance_inputs(absence[s], km[s], boarding[s], x.rural[s], start[a[s]])
        chunk = attendance(
            rng(13, c),
            cal,
            replace(inputs, left_day=left[s], back_day=back_day[s], ramp_left_day=ramp_left),
        )
        child, day, status = chunk.child, chunk.day, chunk.status
        if closed is not None:  # each school's own winter break
            open_day = ~closed[plan.school_variant[pop.school[a[s]]][child], day]
            child, day, status = child[open_day], day[open_day], status[open_day]
        if visits is not None:
            remember_absence(visits, a[s], child, day, status, d)
        if plan.export_date is not None:
            exported = cal.days[day] <= plan.export_date
            child, day, status = child[exported], day[exported], status[exported]
        attendance_out.write(
            {
                "student_id": coded(st.student_id[a[s]], child),
                "date": pa.array(cal.days[day]),
                "status": coded(list(ATTENDANCE_STATUSES), status),
            }
        )
        days_in[s], days_absent[s] = chunk.days_in, chunk.days_absent
        report((s.stop) / max(len(a), 1))

    out_from, out_to = left, np.where(left < d, back_day, d)

    def in_school_on(day: np.ndarray) -> np.ndarray:
        return (start[a] <= day) & ~((out_from <= day) & (day < out_to))

    engagement_drift = np.where(left < d, -0.4, 0.0) + rng(4).normal(0, 0.3, len(a))
    level2 = term_level(rng(5), x.ability, x.engagement + engagement_drift)
    for term, base, level in ((1, cal.term1_exam, level1), (2, cal.term2_exam, level2)):
        exam_day = _exam_day(cal, base, pop.school[a])
        sat = np.flatnonzero(in_school_on(exam_day))
        child, subject, score = exam_scores(rng(6, term), x.grade[sat], level[sat])
        records.grades.append(
            {
                "student": a[sat][child],
                "year": np.full(len(child), year),
                "term": np.full(len(child), term),
                "subject": subject,
                "score": score,
                "exam_date": cal.days[exam_day[sat][child]],
            }
        )
        pop.last_level[a[sat]] = level[sat]

    leavers_now = left < d
    records.left[year] = _bands(x.grade[leavers_now])

    # End of year for children in school on the last day.
    end = np.flatnonzero(in_school_on(np.full(len(a), d - 1)))
    rate = days_absent[end] / np.maximum(days_in[end], 1)
    missed_long = (out_to[end] - out_from[end]) > 40
    repeat_logit = -4.4 - 1.2 * level2[end] + 4.0 * rate + 1.5 * missed_long
    graduates = promote(rng(7), county, hh, st, pop, a[end], repeat_logit)
    records.graduates += len(graduates)

    newly_alone = (lb_after == 2) & (lb_before < 2)
    st.engagement[a] = 0.8 * x.engagement + 0.6 * rng(8).normal(0, 1, len(a)) - 0.15 * newly_alone


def _attendance_inputs(
    absence: np.ndarray,
    km: np.ndarray,
    boarding: np.ndarray,
    rural: np.ndarray,
    start_day: np.ndarray,
) -> AttendanceInputs:
    """A block's attendance inputs; the days out (`left_day`, `back_day`) are set by caller."""
    n_days = np.full(len(absence), np.iinfo(np.int64).max)
    return AttendanceInputs(
        base=absence,
        late=0.015 + 0.003 * np.clip(km, 0, 20) * ~boarding,
        rural=rural,
        unexcused_shift=0.5 * (absence + 3.8),
        start_day=start_day,
        left_day=n_days,
        back_day=n_days,
    )


def _visit(
    rng: RngFactory,
    c: int,
    cal: SchoolCalendar,
    sim: VisitSim,
    ids: np.ndarray,
    inputs: AttendanceInputs,
    observed: Observed,
    closed: tuple[np.ndarray, np.ndarray] | None,
) -> np.ndarray:
    """Lists and visits of one block (see `visits`): attendance of the no-visit world is
    drawn with the same stream as the real one, so what the county saw before a snapshot
    is exactly what the files hold."""
    seen = attendance(rng(13, c), cal, inputs)
    child, day, status = seen.child, seen.day, seen.status
    if closed is not None:  # what the county saw: each school's own school days
        shut, variant = closed
        open_day = ~shut[variant[child], day]
        child, day, status = child[open_day], day[open_day], status[open_day]
    return plan_visits(
        rng(14, c),
        sim,
        cal,
        ids,
        observed,
        (child, day, status),
        inputs.start_day,
        inputs.left_day,
        inputs.back_day,
    )
