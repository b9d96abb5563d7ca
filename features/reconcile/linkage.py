"""Probabilistic linkage of students to residents with Splink on DuckDB (Fellegi-Sunter).

Why Splink: it is maintained (UK Ministry of Justice), runs the same settings on DuckDB
(one machine), Spark or Athena, and gives every pair a match weight (log2 Bayes factor,
prior included) rather than a yes/no. The model:

- exact person_id where both sides hold a valid one (the validator already dropped ids
  that fail GB 11643) is near-certain; two valid ids that differ speak strongly against;
- name: same characters, else same pinyin (homophones, traditional forms), else one
  character or a close pinyin apart, else different;
- birth date: same day, within 10 days (a mistyped day), same year, else;
- gender, township, village (when both sides know it).

m probabilities (how often a true pair agrees at each level) are set from how registers
differ (`M_PROBABILITIES`); u probabilities (how often two random people do) are estimated
from the data by random sampling with a fixed seed, on inputs in a canonical order: the
weights do not depend on the files' row order. Blocking keeps the pairs scored to those
sharing an id, a birth date and surname or given-name sound, a name sound and birth year,
or a birth date, gender and township (a school row with neither name nor id).

The custom levels are written in DuckDB's SQL and marked so (`base_dialect_str`): Splink
translates them (sqlglot) when the same settings run on its Spark backend, for a province
whose registers one machine cannot hold. Only DuckDB is installed and measured here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from .prepare import Sides

SEED = 15
U_SAMPLE_PAIRS = 2e6
LINK_WEIGHT = 2.0
"""A student's best pair at or above this match weight is a link (match probability 0.8)."""
REVIEW_WEIGHT = -6.0
"""A best pair in [REVIEW_WEIGHT, LINK_WEIGHT) goes to clerical review."""


@dataclass(frozen=True)
class Thresholds:
    link: float = LINK_WEIGHT
    review: float = REVIEW_WEIGHT


def _level(level: cll.ComparisonLevelCreator, m: float) -> cll.ComparisonLevelCreator:
    return level.configure(m_probability=m)


def comparisons() -> list[cl.CustomComparison]:
    """The comparison of each field, with its levels' m probabilities."""
    person_id = cl.CustomComparison(
        output_column_name="person_id",
        comparison_levels=[
            cll.NullLevel("person_id"),
            cll.ExactMatchLevel("person_id").configure(
                m_probability=0.997, u_probability=1e-7, fix_u_probability=True
            ),
            cll.ElseLevel().configure(
                m_probability=0.003, u_probability=1 - 1e-7, fix_u_probability=True
            ),
        ],
    )
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            _level(cll.ExactMatchLevel("name"), 0.88),
            _level(cll.ExactMatchLevel("name_py"), 0.08),
            _level(
                cll.CustomLevel(
                    "(length(name_l) = length(name_r) AND levenshtein(name_l, name_r) <= 1) "
                    "OR jaro_winkler_similarity(name_py_l, name_py_r) >= 0.92",
                    "one character or a close sound apart",
                    base_dialect_str="duckdb",
                ),
                0.03,
            ),
            _level(cll.ElseLevel(), 0.01),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            _level(cll.ExactMatchLevel("birth_date"), 0.975),
            _level(
                cll.CustomLevel(
                    "abs(date_diff('day', birth_date_l, birth_date_r)) <= 10",
                    "within 10 days",
                    base_dialect_str="duckdb",
                ),
                0.018,
            ),
            _level(cll.ExactMatchLevel("birth_year"), 0.004),
            _level(cll.ElseLevel(), 0.003),
        ],
    )

    def simple(column: str, agree: float) -> cl.CustomComparison:
        return cl.CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                _level(cll.ExactMatchLevel(column), agree),
                _level(cll.ElseLevel(), 1 - agree),
            ],
        )

    return [person_id, name, birth, simple("gender", 0.995), simple("township", 0.85),
            simple("village", 0.9)]  # fmt: skip


def settings(prior: float, villages: bool = True) -> SettingsCreator:
    chosen = [c for c in comparisons() if villages or c._output_column_name != "village"]
    return SettingsCreator(
        link_type="link_only",
        comparisons=chosen,
        blocking_rules_to_generate_predictions=[
            block_on("person_id"),
            block_on("birth_date", "surname_py"),
            block_on("name_py", "birth_year"),
            block_on("birth_date", "given_py"),
            # A school register row without a name or an id still meets its candidates.
            block_on("birth_date", "gender", "township"),
        ],
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def score_pairs(sides: Sides, floor: float = REVIEW_WEIGHT, threads: int = 2) -> pd.DataFrame:
    """Every blocked pair at or above `floor`: student_uid, resident_uid, match_weight."""
    columns = [c for c in sides.students.columns if c not in ("key", "student_id")]
    students = sides.students[columns]
    residents = sides.residents[[c for c in columns if c in sides.residents.columns]]
    if students.empty or residents.empty:
        return pd.DataFrame({"student_uid": [], "resident_uid": [], "match_weight": []})
    # Each student has at most one resident: prior odds about 1 in the residents' count.
    prior = min(0.5, 0.95 / max(len(residents), 1))
    connection = duckdb.connect()
    connection.execute(f"SET threads = {int(threads)}").fetchall()
    connection.execute(f"SELECT setseed({(SEED % 100) / 100})").fetchall()
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # Village only when both registers know some: else nothing could estimate its u.
    villages = students["village"].notna().any() and residents["village"].notna().any()
    linker = Linker(
        [students, residents],
        settings(prior, villages),
        DuckDBAPI(connection),
        input_table_aliases=["students", "residents"],
        set_up_basic_logging=False,
    )
    # DuckDB's seeded sample is repeatable only on one thread: the same data must give the
    # same weights whatever the machine's load (the row-order test caught two threads drifting).
    connection.execute("SET threads = 1").fetchall()
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    connection.execute(f"SET threads = {int(threads)}").fetchall()
    predicted = linker.inference.predict(threshold_match_weight=floor)
    pairs = predicted.as_pandas_dataframe()
    connection.close()
    left_is_student = pairs["source_dataset_l"] == "students"
    student = pairs["unique_id_l"].where(left_is_student, pairs["unique_id_r"])
    resident = pairs["unique_id_r"].where(left_is_student, pairs["unique_id_l"])
    out = pd.DataFrame(
        {
            "student_uid": student.astype("int64"),
            "resident_uid": resident.astype("int64"),
            "match_weight": pairs["match_weight"].astype(float).round(6),
        }
    )
    return out.sort_values(["student_uid", "resident_uid"]).reset_index(drop=True)
