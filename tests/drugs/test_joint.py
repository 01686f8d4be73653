"""The multiple-exposure case series: one model, every drug's windows."""

from datetime import date

import numpy as np
import pytest

from entrepot.drugs import sccs
from entrepot.drugs._joint import sccs_joint
from tests.drugs.simulated import OUTCOME, PARACETAMOL, Rows, day, first_event, load
from tests.drugs.test_sccs import TOXIDERMIE

#: amoxicillin's planted IRR of days 1-30; paracetamol has no effect
TRUE_IRR = 4.0


def co_prescribed(n: int, seed: int = 12) -> Rows:
    """`n` cases; 70 % start amoxicillin once, with paracetamol the same day
    for 60 % of them, and 30 % start paracetamol alone."""
    rng = np.random.default_rng(seed)
    rows = Rows()
    for pid in range(1, n + 1):
        start = day(date(2019, 1, 1), rng.integers(0, 90))
        length = int(rng.integers(540, 731))
        rate = np.ones(length)
        rows.person.append((pid, 1960, 6))
        rows.observation.append((pid, start, day(start, length - 1)))
        if rng.random() < 0.7:
            t = int(rng.integers(length - 100))
            rows.exposure.append((pid, day(start, t), day(start, t + 9)))
            rate[t + 1 : t + 31] *= TRUE_IRR
            if rng.random() < 0.6:
                rows.exposure.append(
                    (pid, day(start, t), day(start, t + 4), PARACETAMOL)
                )
        if rng.random() < 0.3:
            t = int(rng.integers(length - 100))
            rows.exposure.append((pid, day(start, t), day(start, t + 4), PARACETAMOL))
        rows.condition.append((pid, OUTCOME, day(start, first_event(rng, rate))))
    return rows


@pytest.fixture(scope="module")
def together(tmp_path_factory, new_duckdb):
    wh = new_duckdb(tmp_path_factory.mktemp("joint") / "eds.duckdb")
    load(wh, co_prescribed(1000))
    yield wh
    wh.close()


def test_a_drug_started_with_a_culprit_is_adjusted_for_it(together):
    """Alone, paracetamol takes amoxicillin's events (started the same day);
    in one model its IRR is back near 1 and amoxicillin's near the truth."""
    alone = sccs(together, TOXIDERMIE, "N02BE01")
    assert alone.windows[0].ci[0] > 1.5  # the bias of the one-drug series
    found = sccs_joint(together, TOXIDERMIE, ["j01ca04", "N02BE01"])
    assert set(found) == {"J01CA04", "N02BE01"}
    paracetamol, amoxicillin = found["N02BE01"], found["J01CA04"]
    low, high = paracetamol.windows[0].ci
    assert low < 1 < high and high < alone.windows[0].ci[0]
    low, high = amoxicillin.windows[0].ci
    assert low < TRUE_IRR < high and low > 2
    assert (amoxicillin.cases, paracetamol.cases) == (1000, 1000)
    assert paracetamol.cases_exposed == alone.cases_exposed
    assert (
        amoxicillin.cases_exposed == sccs(together, TOXIDERMIE, "J01CA04").cases_exposed
    )
    assert paracetamol.windows[1].days == alone.windows[1].days

    assert sccs_joint(together, TOXIDERMIE, []) == {}
