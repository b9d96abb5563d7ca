"""The ledger on real SQLite and PostgreSQL: the rules refuse nonsense, history is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from serving.cases.models import CaseTransition
from serving.cases.rules import STATES, TransitionRefused, check_transition
from serving.cases.service import CaseService, NotAllowed
from serving.store import ScoreStore
from tests.serving.cases_helpers import EP, TODAY, open_one, who
from tests.serving.serving_rows import AS_OF, county_rows

D = dt.date(2025, 3, 2)


@pytest.fixture
def cases(store: ScoreStore) -> CaseService:
    store.publish_batch(AS_OF, "1", county_rows(48))
    return CaseService(store)


def test_a_case_goes_the_whole_way_with_its_history(cases: CaseService) -> None:
    county = who(cases.store, "county:C0")
    case = open_one(cases, county, "S00000")
    steps = [
        ("confirmed", None, None),
        ("persuading", None, None),
        ("returned", None, "new_class"),
        ("closed", None, None),
    ]
    for i, (to, reason, plan) in enumerate(steps):
        moved = cases.move(county, case.case.id, to, D + dt.timedelta(i), reason, plan, TODAY, EP)
        assert moved is not None and moved.case.state == to
    assert moved.case.plan == "new_class"
    history = [(t["from_state"], t["to_state"], t["by"]) for t in moved.transitions]
    assert history == [
        (None, "suspected", "caseworker-county:C0"),
        ("suspected", "confirmed", "caseworker-county:C0"),
        ("confirmed", "persuading", "caseworker-county:C0"),
        ("persuading", "returned", "caseworker-county:C0"),
        ("returned", "closed", "caseworker-county:C0"),
    ]
    # closed never reopens: a new departure is a new episode
    with pytest.raises(TransitionRefused, match="new episode") as refused:
        cases.move(county, case.case.id, "persuading", D + dt.timedelta(9), None, None, TODAY, EP)
    assert refused.value.status == 409
    again = open_one(cases, county, "S00000", "confirmed")
    assert again.case.episode == 2 and again.case.id != case.case.id


@pytest.mark.parametrize(
    ("current", "to", "reason", "plan", "status"),
    [
        ("confirmed", "exempt", None, None, 422),
        ("confirmed", "exempt", "bored", None, 422),
        ("persuading", "returned", None, None, 422),
        ("persuading", "returned", None, "somewhere", 422),
        ("confirmed", "closed", None, None, 409),
        ("confirmed", "suspected", None, None, 409),
        ("confirmed", "confirmed", None, None, 409),
        ("exempt", "confirmed", None, None, 409),
        ("confirmed", "lost", None, None, 422),
    ],
)
def test_rules_refuse_nonsense(current, to, reason, plan, status) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, D, to, D, reason, plan)
    assert refused.value.status == status


def test_rules_accept_what_they_should_and_never_go_back_in_time() -> None:
    check_transition("confirmed", D, "exempt", D, "moved_out", None)
    check_transition("persuading", D, "returned", D, None, "home_delivery")
    with pytest.raises(TransitionRefused, match="before"):
        check_transition("confirmed", D, "persuading", D - dt.timedelta(1), None, None)
    terminal = {s for s in STATES if s in ("closed", "exempt")}
    for state in terminal:
        for to in STATES:
            with pytest.raises(TransitionRefused):
                check_transition(state, D, to, D, "moved_out", "new_class")


def test_scope_hides_cases_and_school_users_cannot_move(cases: CaseService) -> None:
    county = who(cases.store, "county:C0")
    case = open_one(cases, county, "S00000")  # school SCH000, township T0, county C0
    other_town = who(cases.store, "township:C0/T1")
    other_county = who(cases.store, "county:C1")
    for user in (other_town, other_county):
        assert cases.get(user, case.case.id, TODAY, EP) is None
        assert cases.move(user, case.case.id, "confirmed", D, None, None, TODAY, EP) is None
        assert cases.list(user, {}, TODAY, 50, 0, EP) == ([], 0)
        assert cases.open(user, "S00000", None, "suspected", D, "x", TODAY, EP) is None
    school = who(cases.store, "school:SCH000")
    assert cases.get(school, case.case.id, TODAY, EP) is not None
    with pytest.raises(NotAllowed):
        cases.move(school, case.case.id, "confirmed", D, None, None, TODAY, EP)
    with cases.store.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(CaseTransition)).scalar_one()
    assert n == 1  # nothing was written by the refused or out-of-scope calls


def test_one_open_case_per_child_and_team_history_kept(cases: CaseService) -> None:
    county = who(cases.store, "county:C0")
    case = open_one(cases, county, "S00000")
    with pytest.raises(TransitionRefused, match="already has an open case"):
        open_one(cases, county, "S00000")
    from serving.cases.ledger import Member

    team = [Member("王老师", "school", "13800000000"), Member("李主任", "township")]
    got = cases.set_team(county, case.case.id, county.name, team, TODAY, TODAY, EP)
    assert got is not None and got.case.lead == county.name
    assert {m["name"] for m in got.team} == {"王老师", "李主任"}
    got = cases.set_team(county, case.case.id, None, team[:1], dt.date(2025, 3, 9), TODAY, EP)
    assert got is not None and [m["name"] for m in got.team] == ["王老师"]
    assert got.case.overdue  # due 9 March, today is 10 March, still open
    late, n = cases.list(county, {"overdue": True}, TODAY, 50, 0, EP)
    assert n == 1 and late[0].id == case.case.id
    with pytest.raises(TransitionRefused, match="role"):
        cases.set_team(county, case.case.id, None, [Member("x", "boss")], None, TODAY, EP)


def test_returnees_carry_their_current_risk_until_the_case_closes(cases: CaseService) -> None:
    county = who(cases.store, "county:C0")
    case = open_one(cases, county, "S00000", "confirmed")
    assert cases.returnees(county, TODAY, 50, EP) == []
    cases.move(county, case.case.id, "returned", D, None, "original_class", TODAY, EP)
    back = cases.returnees(county, TODAY, 50, EP)
    expected = cases.store.student(county, "S00000", EP)
    assert [(r.case.id, r.risk, r.tier) for r in back] == [
        (case.case.id, expected.risk, expected.tier)  # type: ignore[union-attr]
    ]
    assert cases.returnees(who(cases.store, "county:C1"), TODAY, 50, EP) == []
    cases.move(county, case.case.id, "closed", D + dt.timedelta(5), None, None, TODAY, EP)
    assert cases.returnees(county, TODAY, 50, EP) == []


def test_a_move_in_the_future_is_refused(cases: CaseService) -> None:
    county = who(cases.store, "county:C0")
    case = open_one(cases, county, "S00000")
    with pytest.raises(TransitionRefused, match="future") as refused:
        cases.move(
            county, case.case.id, "confirmed", TODAY + dt.timedelta(5), None, None, TODAY, EP
        )
    assert refused.value.status == 422
