"""Courses on the synthetic hospital: exercises in French, each checked
automatically against the course's hospital.

>>> from entrepot.course import start_course, check_answer  # doctest: +SKIP
>>> start_course("cours")                                      # doctest: +SKIP
"""

from entrepot.course._course import (
    PATIENTS,
    SEED,
    Verdict,
    catalogue,
    check_answer,
    exercise,
    is_course,
    read_answer,
    start_course,
)
from entrepot.course._exercises import EXERCISES, NUMBER, PERSONS, Exercise

__all__ = [
    "EXERCISES",
    "NUMBER",
    "PATIENTS",
    "PERSONS",
    "SEED",
    "Exercise",
    "Verdict",
    "catalogue",
    "check_answer",
    "exercise",
    "is_course",
    "read_answer",
    "start_course",
]
