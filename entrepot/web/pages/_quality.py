"""Page: the last data quality run's checks, by category (its script reads
`/api/quality`)."""

from fastapi import APIRouter, Request

from entrepot.quality import CATEGORIES, STATUSES
from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/quality")
def quality(request: Request, session: PageSession):
    return render(
        request,
        "quality.html",
        session,
        page="quality",
        categories=CATEGORIES,
        statuses=STATUSES,
    )
