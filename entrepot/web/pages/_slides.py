"""Page: the deep-zoom viewer of one slide, in a project (reading it there is
checked here, so that a user outside the project gets the error page)."""

from fastapi import APIRouter, Request

from entrepot.web._auth import Reading
from entrepot.web.api._slides import SlideId, find_slide
from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/slides/{slide_id}")
def slide(request: Request, session: PageSession, decision: Reading, slide_id: SlideId):
    found = find_slide(request, decision, slide_id)
    return render(
        request,
        "slide.html",
        session,
        page="slide",
        slide_id=slide_id,
        person_id=found["person_id"],
        project=decision.project or "",
    )
