"""Who may see and change a cohort, on each engine: names unique within a
project, claims before generation, owners and administrators only."""

from __future__ import annotations

import pytest

from entrepot.cohort._perimeter import saved_as, seen
from entrepot.cohort._results import next_cohort_id
from entrepot.errors import AccessDeniedError, CohortNotFoundError
from entrepot.privacy import (
    add_project,
    add_user,
    authorise,
    cohort_owners,
    entries,
    release_cohort,
)

PASSWORD = "a long enough password"


@pytest.fixture
def wh(warehouse):
    for project in ("cardio", "derma"):
        add_project(warehouse, project)
    for name, role, projects in (
        ("ada", "admin", ()),
        ("rita", "researcher", ("cardio",)),
        ("remy", "researcher", ("cardio",)),
        ("dora", "researcher", ("derma",)),
        ("vic", "viewer", ("cardio",)),
    ):
        add_user(warehouse, name, role, PASSWORD, projects=projects)
    return warehouse


def test_names_owners_and_rights(wh):
    def write(user, project):
        return authorise(wh, user, "write", project)

    rita = saved_as(wh, write("rita", "cardio"), "x")
    dora = saved_as(wh, write("dora", "derma"), "x")  # same name, other project
    assert (rita, dora) == (1, 2)
    assert saved_as(wh, write("rita", "cardio"), "x") == rita  # claimed: taken
    assert saved_as(wh, write("ada", "cardio"), "x") == rita  # an administrator
    with pytest.raises(AccessDeniedError) as refused:
        saved_as(wh, write("remy", "cardio"), "x")
    assert str(refused.value) == (
        "cohort 1 belongs to rita: only its owner or an administrator may change it"
    )
    assert entries(wh, user="remy", action="cohort.change")[-1]["project"] == "cardio"
    with pytest.raises(CohortNotFoundError):  # another project's id: unknown
        saved_as(wh, write("dora", "derma"), "y", cohort_id=rita)
    with pytest.raises(AccessDeniedError, match="^a viewer may not write$"):
        write("vic", "cardio")
    owners = cohort_owners(wh)
    assert {i: (o.project, o.user, o.name) for i, o in owners.items()} == {
        1: ("cardio", "rita", "x"),
        2: ("derma", "dora", "x"),
    }
    assert next_cohort_id(wh, "x") == 3  # the CLI's: no project
    with pytest.raises(CohortNotFoundError):  # claimed, never generated
        seen(wh, write("rita", "cardio"), rita)
    release_cohort(wh, rita)  # its run failed: the name is free again
    assert saved_as(wh, write("remy", "cardio"), "x") == 3
    assert sorted(cohort_owners(wh)) == [2, 3]
