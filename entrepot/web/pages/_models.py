"""Page: the TRIPOD+AI report of a project's trained model (the same as
`entrepot model report`), in the user's language."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from entrepot.web import _i18n
from entrepot.web._auth import Reading
from entrepot.web._state import state

router = APIRouter()


def _report(wh, decision, name: str, lang: str) -> str:
    from entrepot.model import model_report, project_model

    made = model_report(project_model(wh, decision.project, name), lang=lang)
    decision.released(
        wh, "model.report", {"model": name}, rows=len(made.checklist.rows)
    )
    return made.html


@router.get("/models/{name}/report")
def model_report_page(request: Request, decision: Reading, name: str):
    html = state(request).use(_report, decision, name, _i18n.language(request))
    return HTMLResponse(html)
