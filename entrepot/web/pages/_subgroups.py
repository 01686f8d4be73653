"""Page: the patient subgroups of a saved cohort (clusters, profiles, survival)."""

from typing import get_args

from fastapi import APIRouter, Request

from entrepot.subgroups import DEFAULT_METHOD, shipped_specs
from entrepot.web.api._subgroups import Method
from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/subgroups")
def subgroups(request: Request, session: PageSession):
    return render(
        request, "subgroups.html", session, page="subgroups",
        specs=sorted(shipped_specs()), methods=get_args(Method), method=DEFAULT_METHOD,
    )  # fmt: skip
