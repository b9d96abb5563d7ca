"""The synthetic county: deterministic, in the contract, and realistic enough to learn from."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from features.contract import CONTRACT, TABLE_NAMES
from features.synthetic import generate_county

ID_COLUMNS = {"student_id", "household_id", "school_id"}
DATE_COLUMNS = {"birth_date", "recorded_on", "date", "exam_date", "left_on", "returned_on"}


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read a generated folder with plain pandas: ids as text, dates as dates."""
    tables = {}
    for name in TABLE_NAMES:
        csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
        if csv.exists():
            frame = pd.read_csv(csv, dtype={c: str for c in ID_COLUMNS}, encoding="utf-8")
        else:
            frame = pd.read_parquet(parquet)
            for column in frame.columns:  # attendance is dictionary-encoded in Parquet
                if isinstance(frame[column].dtype, pd.CategoricalDtype):
                    frame[column] = frame[column].astype(str)
        for column in DATE_COLUMNS & set(frame.columns):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        tables[name] = frame
    return tables


def school_year_of(dates: pd.Series) -> np.ndarray:
    return np.where(dates.dt.month >= 9, dates.dt.year, dates.dt.year - 1)


def files_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_files(tmp_path: Path, fmt: str) -> None:
    a = generate_county(tmp_path / "a", students=300, years=2, seed=7, fmt=fmt)
    b = generate_county(tmp_path / "b", students=300, years=2, seed=7, fmt=fmt)
    first, second = files_bytes(tmp_path / "a"), files_bytes(tmp_path / "b")
    tables = [f"{n}.{fmt}" for n in (*TABLE_NAMES, "residents")]
    assert sorted(first) == sorted([*tables, "truth/residents.csv"])
    assert first == second
    assert a.rows == b.rows


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate_county(tmp_path / "a", students=300, years=2, seed=7)
    generate_county(tmp_path / "b", students=300, years=2, seed=8)
    first, second = files_bytes(tmp_path / "a"), files_bytes(tmp_path / "b")
    for name in ("students.csv", "attendance.csv", "grades.csv", "households.csv"):
        assert first[name] != second[name], name


def test_rewriting_in_the_other_format_removes_stale_tables(tmp_path: Path) -> None:
    generate_county(tmp_path, students=50, years=1, seed=1, fmt="csv")
    generate_county(tmp_path, students=50, years=1, seed=1, fmt="parquet")
    assert sorted(p.suffix for p in tmp_path.iterdir() if p.is_file()) == [".parquet"] * 8
    generate_county(tmp_path, students=50, years=1, seed=1, fmt="parquet", residents=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.parquet" for n in TABLE_NAMES)


def test_csv_and_parquet_hold_the_same_data(county_dir: Path, county_parquet_dir: Path) -> None:
    csv, parquet = read_tables(county_dir), read_tables(county_parquet_dir)
    for name in TABLE_NAMES:
        left, right = csv[name], parquet[name]
        assert list(left.columns) == list(right.columns)
        assert len(left) == len(right), name
        for column in ID_COLUMNS & set(left.columns):
            assert left[column].tolist() == right[column].tolist()


# ------------------------------------------------------------------- contract


def test_every_table_follows_the_contract(county_dir: Path) -> None:
    tables = read_tables(county_dir)
    for name, table in CONTRACT.items():
        frame = tables[name]
        assert len(frame) > 0, name
        assert list(frame.columns) == table.column_names, name
        for column in table.columns:
            values = frame[column.name]
            if not column.nullable and column.required:
                assert values.notna().all(), f"{name}.{column.name} has empty values"
            if column.codes is not None:
                assert set(values.dropna()) <= set(column.codes), f"{name}.{column.name}"
            if column.min is not None:
                assert values.dropna().between(column.min, column.max).all(), column.name
        if table.key:
            assert not frame.duplicated(list(table.key)).any(), f"{name} key is not unique"


def test_ids_are_strings_and_some_keep_leading_zeros(county_dir: Path) -> None:
    tables = read_tables(county_dir)
    assert tables["students"]["student_id"].str.fullmatch(r"S\d{7}").all()
    assert tables["students"]["household_id"].str.startswith("0").all()
    assert tables["schools"]["school_id"].str.startswith("0").any()
    raw = (county_dir / "schools.csv").read_text(encoding="utf-8")
    assert "\n0101," in raw  # written as text, zeros kept


def test_references_hold(county_dir: Path) -> None:
    t = read_tables(county_dir)
    students = set(t["students"]["student_id"])
    assert set(t["students"]["household_id"]) <= set(t["households"]["household_id"])
    assert set(t["enrollments"]["school_id"]) <= set(t["schools"]["school_id"])
    for name in ("enrollments", "attendance", "grades", "dropouts"):
        assert set(t[name]["student_id"]) <= students, name
    d = t["dropouts"].dropna(subset=["returned_on"])
    assert (d["returned_on"] > d["left_on"]).all()


def test_students_have_plausible_chinese_names(county_dir: Path) -> None:
    names = read_tables(county_dir)["students"]["name"]
    present = names.dropna()
    assert 0.9 < len(present) / len(names) < 1.0  # the column is optional: a few are blank
    assert present.str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()


def test_county_has_townships_and_all_school_kinds(tmp_path: Path) -> None:
    summary = generate_county(tmp_path, students=5000, years=1, seed=2, fmt="parquet")
    schools = read_tables(tmp_path)["schools"]
    assert set(schools["level"]) == {"primary", "junior", "nine_year"}
    assert schools["township"].nunique() >= 3
    assert schools["rural"].any() and not schools["rural"].all()
    assert schools["boarding"].any() and not schools["boarding"].all()
    assert summary.schools == len(schools)
    assert "dropouts per school year" in summary.describe()


def test_bad_arguments_are_user_errors(tmp_path: Path) -> None:
    from features.errors import UserError

    with pytest.raises(UserError, match="--students"):
        generate_county(tmp_path, students=0)
    with pytest.raises(UserError, match="--seed"):
        generate_county(tmp_path, students=10, seed=-1)
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(UserError, match="cannot write the county"):
        generate_county(tmp_path / "a-file", students=10)
    with pytest.raises(UserError, match="--format"):
        generate_county(tmp_path, students=10, fmt="xlsx")  # type: ignore[arg-type]


# ------------------------------------------------------------------- calendar


def test_attendance_only_on_school_days(county_dir: Path) -> None:
    days = pd.Series(read_tables(county_dir)["attendance"]["date"].unique())
    assert (days.dt.weekday < 5).all()
    md = days.dt.month * 100 + days.dt.day
    assert not md.between(1001, 1007).any()  # National Day week
    assert not md.between(120, 219).any()  # winter break
    assert not md.between(713, 831).any()  # summer break
    assert days.min() == pd.Timestamp("2022-09-01")


def test_exams_in_january_and_at_the_end_of_june(county_dir: Path) -> None:
    grades = read_tables(county_dir)["grades"]
    months = grades.groupby("term")["exam_date"].agg(lambda d: set(d.dt.month))
    assert months[1] == {1}
    assert months[2] <= {6, 7}
    enrolled = read_tables(county_dir)["enrollments"]
    g = grades.merge(enrolled, on=["student_id", "school_year"])
    assert not ((g["subject"] == "English") & (g["grade"] < 3)).any()
    assert ((g["subject"] == "Physics") & (g["grade"] >= 8)).any()


# ------------------------------------------------------------------- realism


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """A mid-size county (3000 students, 3 years) for the realism checks."""
    out = tmp_path_factory.mktemp("county3000")
    summary = generate_county(out, students=3000, years=3, seed=11, fmt="parquet")
    tables = read_tables(out)
    status = tables["attendance"]["status"]
    tables["attendance"]["absent"] = status.str.startswith("absent")
    tables["attendance"]["unexcused"] = status == "absent_unexcused"
    tables["summary"] = summary  # type: ignore[assignment]
    return tables


def _dropout_rates(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    e = t["enrollments"]
    d = t["dropouts"].assign(school_year=lambda f: school_year_of(f["left_on"]))
    left = e.merge(d[["student_id", "school_year"]].drop_duplicates(), how="left", indicator=True)
    left["left"] = left["_merge"] == "both"
    left["band"] = np.where(left["grade"] <= 6, "primary", "junior")
    return left.groupby(["school_year", "band"])["left"].mean().unstack()


def test_yearly_dropout_rates_are_believable(county: dict[str, pd.DataFrame]) -> None:
    rates = _dropout_rates(county)
    assert len(rates) == 3
    assert (rates["primary"] < 0.015).all(), rates
    assert rates["junior"].between(0.02, 0.12).all(), rates
    summary = county["summary"]
    for year in rates.index:
        assert summary.dropout_rate(year, "junior") == pytest.approx(rates.loc[year, "junior"])


def test_absence_rises_before_leaving(county: dict[str, pd.DataFrame]) -> None:
    att = county["attendance"]
    first_left = county["dropouts"].groupby("student_id")["left_on"].min()
    leavers = att[att["student_id"].isin(first_left.index)]
    leavers = leavers[leavers["date"] < leavers["student_id"].map(first_left)]
    last30 = leavers.sort_values("date").groupby("student_id").tail(30)
    stayers = att[~att["student_id"].isin(first_left.index)]
    assert last30["absent"].mean() > 3 * stayers["absent"].mean()
    assert (last30["status"] == "absent_unexcused").mean() > 3 * (
        stayers["status"] == "absent_unexcused"
    ).mean()


def test_rural_absence_rises_in_harvest(county: dict[str, pd.DataFrame]) -> None:
    att = county["attendance"]
    att = att[att["date"] < pd.Timestamp("2023-09-01")].copy()  # the first school year
    e = county["enrollments"]
    school = e[e["school_year"] == 2022].set_index("student_id")["school_id"]
    rural_school = county["schools"].set_index("school_id")["rural"]
    att["rural"] = att["student_id"].map(school).map(rural_school).astype(bool)
    md = att["date"].dt.month * 100 + att["date"].dt.day
    harvest = md.between(920, 1025) | md.between(525, 612)
    rural, urban = att[att["rural"]], att[~att["rural"]]
    assert rural.loc[harvest, "absent"].mean() > 1.4 * rural.loc[~harvest, "absent"].mean()
    assert urban.loc[harvest, "absent"].mean() < 1.2 * urban.loc[~harvest, "absent"].mean()


def test_poor_rural_teenagers_leave_more(county: dict[str, pd.DataFrame]) -> None:
    t = county
    e = t["enrollments"].merge(t["students"], on="student_id")
    e = e.merge(t["schools"][["school_id", "rural"]], on="school_id")
    start = pd.to_datetime(e["school_year"].astype(str) + "-09-01").astype("datetime64[ns]")
    e["age"] = (start - e["birth_date"]).dt.days // 365
    hh = t["households"].sort_values("recorded_on")
    poor_at_start = pd.merge_asof(
        e.assign(recorded_on=start).sort_values("recorded_on"),
        hh[["household_id", "recorded_on", "registered_poor"]],
        on="recorded_on",
        by="household_id",
    )
    d = t["dropouts"].assign(school_year=lambda f: school_year_of(f["left_on"]))
    keys = set(zip(d["student_id"], d["school_year"], strict=True))
    pairs = zip(poor_at_start["student_id"], poor_at_start["school_year"], strict=True)
    poor_at_start["left"] = [pair in keys for pair in pairs]
    group = poor_at_start["registered_poor"] & poor_at_start["rural"] & (poor_at_start["age"] >= 13)
    assert group.sum() > 50
    assert poor_at_start.loc[group, "left"].mean() > 2 * poor_at_start.loc[~group, "left"].mean()


def test_reasons_follow_their_drivers(county: dict[str, pd.DataFrame]) -> None:
    d = county["dropouts"].merge(county["students"], on="student_id")
    age = (d["left_on"] - d["birth_date"]).dt.days / 365.25
    marriage = d[d["reason"] == "early_marriage"]
    assert len(marriage) > 0
    assert (marriage["gender"] == "F").all() and (age[marriage.index] >= 14).all()
    assert (d.loc[d["reason"] == "disability", "disability"] != "none").all()
    assert d["reason"].nunique() >= 6


def test_learning_difficulty_follows_low_and_falling_grades(
    county: dict[str, pd.DataFrame],
) -> None:
    g = county["grades"]
    term = g.groupby(["student_id", "exam_date"])["score"].mean().reset_index()
    d = county["dropouts"].drop_duplicates("student_id")
    before = term.merge(d[["student_id", "left_on", "reason"]], on="student_id")
    before = before[before["exam_date"] < before["left_on"]].sort_values("exam_date")
    last = before.groupby("student_id").tail(1).set_index("student_id")
    struggling = last[last["reason"] == "learning_difficulty"]["score"]
    others = term[~term["student_id"].isin(d["student_id"])]["score"]
    assert len(struggling) >= 20
    assert struggling.mean() < others.mean() - 8


def test_some_dropouts_return_and_reappear(county: dict[str, pd.DataFrame]) -> None:
    d = county["dropouts"].dropna(subset=["returned_on"])
    assert len(d) >= 10
    att = county["attendance"]
    seen = att.merge(d[["student_id", "returned_on"]], on="student_id")
    back = seen[seen["date"] >= seen["returned_on"]]["student_id"].unique()
    # Everyone who came back before the data's last month shows up again in attendance.
    early = d[d["returned_on"] < att["date"].max() - pd.Timedelta(days=30)]
    assert set(early["student_id"]) <= set(back)


def test_no_attendance_while_out_of_school(county: dict[str, pd.DataFrame]) -> None:
    d = county["dropouts"]
    end = d["returned_on"].fillna(pd.Timestamp("2100-01-01"))
    spells = d.assign(end=end)[["student_id", "left_on", "end"]]
    att = county["attendance"].merge(spells, on="student_id")
    inside = (att["date"] >= att["left_on"]) & (att["date"] < att["end"])
    assert not inside.any()


def test_graduates_are_not_dropouts(county: dict[str, pd.DataFrame]) -> None:
    e, d = county["enrollments"], county["dropouts"]
    last_year = e["school_year"].max()
    ninth = e[(e["grade"] == 9) & (e["school_year"] < last_year)]
    graduates = ninth[~ninth["student_id"].isin(d["student_id"])]
    assert len(graduates) > 100
    later = e.merge(graduates[["student_id", "school_year"]], on="student_id", suffixes=("", "_9"))
    assert not (later["school_year"] > later["school_year_9"]).any()
    assert county["summary"].graduates >= len(graduates)


def test_enrollments_move_children_through_school(county: dict[str, pd.DataFrame]) -> None:
    e = county["enrollments"].merge(county["schools"][["school_id", "level"]], on="school_id")
    nxt = e.merge(e, on="student_id", suffixes=("", "_next"))
    nxt = nxt[nxt["school_year_next"] == nxt["school_year"] + 1]
    assert (nxt["grade_next"] == nxt["grade"] + 1).mean() > 0.95
    assert (nxt["grade_next"] == nxt["grade"]).sum() > 0  # repeats
    moved = nxt[(nxt["grade"] == 6) & (nxt["grade_next"] == 7)]
    assert (moved["level_next"] != "primary").all()
    assert ((moved["level"] == "primary") & (moved["level_next"] == "junior")).any()
    assert ((moved["level"] == "nine_year") & (moved["school_id_next"] == moved["school_id"])).any()
    transfers = nxt[(nxt["grade"] != 6) & (nxt["school_id_next"] != nxt["school_id"])]
    assert len(transfers) > 0
    first_graders = e[e["grade"] == 1].groupby("school_year")["student_id"].nunique()
    assert len(first_graders) == 3 and (first_graders > 100).all()
    assert e["boarding"].any() and e["distance_km"].isna().any()


def test_household_records_change_over_time(county: dict[str, pd.DataFrame]) -> None:
    hh = county["households"].sort_values(["household_id", "recorded_on"])
    first = hh.groupby("household_id")["recorded_on"].transform("min")
    assert (first < pd.Timestamp("2022-09-01")).all()  # a record before the first school year
    changed = hh.groupby("household_id").filter(lambda g: len(g) > 1)
    assert changed["household_id"].nunique() > 100
    prev = hh.groupby("household_id")[["registered_poor", "father_migrant"]].shift()
    exits = (prev["registered_poor"] == True) & ~hh["registered_poor"]  # noqa: E712
    leaves = (prev["father_migrant"] == False) & hh["father_migrant"]  # noqa: E712
    assert exits.sum() > 10 and leaves.sum() > 10
    assert (hh["guardian"] == "grandparents").any()


# --------------------------------------------------------------- validate, CLI


@pytest.mark.skipif(
    importlib.util.find_spec("features.validate") is None, reason="features.validate not there yet"
)
def test_generated_county_validates_clean(
    county_dir: Path, county_parquet_dir: Path, tmp_path: Path
) -> None:
    from features.validate import validate_folder

    for folder in (county_dir, county_parquet_dir):
        report = validate_folder(folder, quarantine_dir=tmp_path / "quarantine")
        # The only problems are the register's deliberate noise: ids mistyped in the school
        # register (blanked) and register rows whose birth day or sex disagrees with the id.
        found = {(p.table, p.rule) for p in report.problems}
        noise = {("students", "bad_person_id"), ("residents", "person_id_disagrees")}
        assert found == noise, [p.message or p.rule for p in report.problems]
        assert report.set_aside == 0
        assert report.rows_kept == report.rows_in
        assert report.cells_blanked == find_count(report, "students", "bad_person_id")


def find_count(report, table: str, rule: str) -> int:
    return next(p.count for p in report.problems if (p.table, p.rule) == (table, rule))


def test_generate_command_prints_a_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "generate",
            str(tmp_path / "out"),
            "--students",
            "200",
            "--years",
            "2",
            "--seed",
            "3",
            "--start-year",
            "2019",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2019-2020" in result.output and "2020-2021" in result.output
    enrolled = pd.read_csv(tmp_path / "out" / "enrollments.csv")
    assert set(enrolled["school_year"]) == {2019, 2020}


def _snapshot(t: dict[str, pd.DataFrame], when: str) -> pd.DataFrame:
    """A few plain indicators at `when` and the label "left within 180 days"."""
    as_of = pd.Timestamp(when)
    e = t["enrollments"][t["enrollments"]["school_year"] == as_of.year - (as_of.month < 9)]
    d = t["dropouts"]
    out = d[(d["left_on"] < as_of) & ~(d["returned_on"] < as_of)]["student_id"]
    e = e[~e["student_id"].isin(out)].copy()
    soon = d[(d["left_on"] >= as_of) & (d["left_on"] < as_of + pd.Timedelta(days=180))]
    e["label"] = e["student_id"].isin(soon["student_id"])
    att = t["attendance"]
    recent = att[(att["date"] < as_of) & (att["date"] >= as_of - pd.Timedelta(days=90))]
    rates = recent.groupby("student_id")[["absent", "unexcused"]].mean()
    e = e.join(rates, on="student_id")
    g = t["grades"][t["grades"]["exam_date"] < as_of]
    last = g[g["exam_date"] == g.groupby("student_id")["exam_date"].transform("max")]
    e = e.join(last.groupby("student_id")["score"].mean(), on="student_id")
    s = t["students"].set_index("student_id")
    e["over_age"] = (as_of - e["student_id"].map(s["birth_date"])).dt.days / 365.25 - e["grade"]
    e["disabled"] = e["student_id"].map(s["disability"]) != "none"
    hh = t["households"][t["households"]["recorded_on"] < as_of]
    latest = hh.sort_values("recorded_on").groupby("household_id").last()
    home = e["student_id"].map(s["household_id"])
    for column in ("registered_poor", "father_migrant", "mother_migrant"):
        e[column] = home.map(latest[column]).astype(float)
    e["rural"] = e["school_id"].map(t["schools"].set_index("school_id")["rural"]).astype(float)
    return e.fillna({"absent": 0.0, "unexcused": 0.0, "score": 75.0})


def test_risk_is_learnable_but_not_perfect(county: dict[str, pd.DataFrame]) -> None:
    """A plain logistic model on observable indicators ranks later leavers well, not perfectly."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    columns = ["grade", "absent", "unexcused", "score", "over_age", "disabled"]
    columns += ["registered_poor", "father_migrant", "mother_migrant", "rural"]
    train = pd.concat([_snapshot(county, d) for d in ("2022-11-01", "2023-03-01", "2023-09-15")])
    test = pd.concat([_snapshot(county, d) for d in ("2024-03-01", "2024-09-15")])
    assert test["label"].sum() >= 30
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train[columns].astype(float), train["label"])
    auc = roc_auc_score(test["label"], model.predict_proba(test[columns].astype(float))[:, 1])
    print(f"AUC {auc:.3f} on {test['label'].sum()} leavers")
    assert 0.75 < auc < 0.97, auc
