"""`users add` checks a scope's place against the data or the latest batch (finding 1)."""

from __future__ import annotations

import pytest

from features.errors import UserError
from serving.auth import Scope
from serving.store import Place, ScoreStore
from tests.serving.serving_rows import AS_OF, county_rows

PLACES = [
    Place("青山县", "城关镇", "0101"),
    Place("青山县", "东镇", "0102"),
    Place("绿水县", "城关镇", "0101"),
    Place("绿水县", "西镇", "0201"),
]


@pytest.mark.parametrize(
    ("scope", "stored"),
    [
        ("township:东镇", "township:青山县/东镇"),
        ("township:绿水县/城关镇", "township:绿水县/城关镇"),
        ("school:0201", "school:绿水县/0201"),
        ("school:青山县/0101", "school:青山县/0101"),
        ("county:绿水县", "county:绿水县"),
        ("all", "all"),
    ],
)
def test_a_scope_is_stored_with_its_county(store: ScoreStore, scope: str, stored: str) -> None:
    store.add_user("a", "caseworker", Scope.parse(scope), PLACES)
    assert [u.scope for u in store.users()] == [stored]


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ("township:城关镇", r"in 2 counties .*township:COUNTY/城关镇"),
        ("school:0101", r"in 2 counties .*school:COUNTY/0101"),
        ("township:城关真", r"'城关真' is not in the data folder"),
        ("township:绿水县/东镇", r"绿水县/东镇 is not in"),
        ("county:红河县", r"county '红河县' is not in"),
    ],
)
def test_unknown_or_ambiguous_names_are_refused(
    store: ScoreStore, scope: str, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        store.add_user("a", "caseworker", Scope.parse(scope), PLACES)
    assert store.users() == []


def test_before_the_first_batch_a_place_needs_the_data(store: ScoreStore) -> None:
    with pytest.raises(UserError, match="--data FOLDER"):
        store.add_user("a", "caseworker", Scope.parse("township:T0"))
    store.add_user("r", "researcher", Scope.parse("all"))  # `all` needs no place
    store.publish_batch(AS_OF, "1", county_rows(24))
    store.add_user("b", "caseworker", Scope.parse("township:T0"))  # now the batch is used
    assert [u.scope for u in store.users()] == ["all", "township:C0/T0"]


def test_a_stored_scope_without_its_county_covers_nobody(store: ScoreStore) -> None:
    store.publish_batch(AS_OF, "1", county_rows(24))
    token = store.add_user("old", "caseworker", Scope.parse("county:C0"))
    with store.engine.begin() as conn:  # what an old store could hold
        conn.exec_driver_sql("UPDATE users SET scope = 'township:T0'")
    who = store.authenticate(token)
    assert who is not None and not who.scope.pinned
    assert store.watchlist(who, "GET /v1/watchlist", {}) == ([], 0)
    assert store.student(who, "S00000", "GET") is None
