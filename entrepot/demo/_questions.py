"""Research questions the warehouse answers: the shipped cohort definitions
(`entrepot/data/cohorts/`), compiled to Ibis expressions (any engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _cohort(name: str) -> Callable[[object], int]:
    """Persons of the shipped definition `name` (nothing written)."""

    def answer(wh) -> int:
        from entrepot.cohort import count_persons, shipped_definitions

        return count_persons(wh, shipped_definitions()[name])

    return answer


@dataclass(frozen=True)
class Question:
    """A research question and how the warehouse answers it (number of patients)."""

    key: str
    text: str
    answer: Callable[[object], int]


QUESTIONS = (
    Question(
        "immunosuppressed",
        "Patients ever on azathioprine or mycophenolate",
        _cohort("immunosuppressed"),
    ),
    Question(
        "immunosuppressed_2021_08",
        "… of whom exposed in August 2021",
        _cohort("immunosuppressed_2021_08"),
    ),
    Question(
        "skin_reactions_since_2015",
        "Drug-induced skin reactions (toxidermies, SJS/TEN) since 2015",
        _cohort("skin_reactions_since_2015"),
    ),
    Question(
        "systemic_sclerosis",
        "Patients with systemic sclerosis (M34)",
        _cohort("systemic_sclerosis"),
    ),
    Question(
        "covid_immunosuppressed",
        "COVID-19 in patients on immunosuppressants (L04, methotrexate)",
        _cohort("covid_immunosuppressed"),
    ),
)
