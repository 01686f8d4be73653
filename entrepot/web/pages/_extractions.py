"""Page: a schema read from a cohort's reports, reviewed with its evidence."""

from fastapi import APIRouter, Request

from entrepot.extraction import shipped_schemas
from entrepot.privacy import PERMISSIONS
from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/extractions")
def extractions(request: Request, session: PageSession):
    return render(
        request, "extractions.html", session, page="extractions",
        schemas=sorted(shipped_schemas()),
        runs="ingest" in PERMISSIONS.get(session.role, ()),
    )  # fmt: skip
