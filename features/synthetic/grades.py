"""Term exams by subject: scores follow ability and engagement, and fall before leaving."""

from __future__ import annotations

import numpy as np

_PRIMARY_LOW = ("Chinese", "Math")
_PRIMARY = ("Chinese", "Math", "English")
_JUNIOR = {
    7: ("Chinese", "Math", "English", "Morality", "History", "Geography", "Biology"),
    8: ("Chinese", "Math", "English", "Morality", "History", "Geography", "Biology", "Physics"),
    9: ("Chinese", "Math", "English", "Morality", "History", "Physics", "Chemistry"),
}
SUBJECTS: tuple[str, ...] = _JUNIOR[8] + ("Chemistry",)
_SUBJECT_CODE = {s: i for i, s in enumerate(SUBJECTS)}
# Exams get harder as children grow: the mean score drops from lower primary to junior.
_GRADE_MEAN = np.array([0, 88, 86, 80, 78, 77, 76, 71, 69, 68], dtype=float)


def subjects_of(grade: int) -> tuple[str, ...]:
    """The subjects examined in a grade: English from grade 3, sciences in junior school."""
    if grade <= 2:
        return _PRIMARY_LOW
    if grade <= 6:
        return _PRIMARY
    return _JUNIOR[grade]


def term_level(rng: np.random.Generator, ability: np.ndarray, engagement: np.ndarray) -> np.ndarray:
    """Each child's standing in one term (sd about 1): what the exams of that term reflect."""
    return 0.75 * ability + 0.35 * engagement + rng.normal(0, 0.35, len(ability))


def exam_scores(
    rng: np.random.Generator, grade: np.ndarray, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores of every subject for children at `level`; returns (child, subject code, score)."""
    children, subjects = [], []
    for g in np.unique(grade):
        members = np.flatnonzero(grade == g)
        codes = np.array([_SUBJECT_CODE[s] for s in subjects_of(int(g))])
        children.append(np.repeat(members, len(codes)))
        subjects.append(np.tile(codes, len(members)))
    child = np.concatenate(children) if children else np.zeros(0, int)
    subject = np.concatenate(subjects) if subjects else np.zeros(0, int)
    order = np.lexsort((subject, child))
    child, subject = child[order], subject[order]
    raw = _GRADE_MEAN[grade[child]] + 11.0 * level[child] + rng.normal(0, 7.0, len(child))
    score = np.clip(np.round(raw * 2) / 2, 0, 100)  # teachers mark in half points
    return child, subject, score
