"""Page: the TRIPOD+AI report of a project's trained model (the same as
`entrepot model report`), in the user's language, inside the app's page: its
stylesheets, no inline style or script (the CSP forbids them)."""

from fastapi import APIRouter, Request
from markupsafe import Markup

from entrepot.web import _i18n
from entrepot.web._auth import Reading
from entrepot.web._state import state
from entrepot.web.pages import PageSession, render

router = APIRouter()


def _report(wh, decision, name: str, lang: str) -> str:
    from entrepot.model import model_report, project_model

    made = model_report(project_model(wh, decision.project, name), lang=lang)
    decision.released(
        wh, "model.report", {"model": name}, rows=len(made.checklist.rows)
    )
    return made.body


@router.get("/models/{name}/report")
def model_report_page(
    request: Request, session: PageSession, decision: Reading, name: str
):
    body = state(request).use(_report, decision, name, _i18n.language(request))
    return render(
        request, "model_report.html", session, page="model_report", name=name,
        report=Markup(body),
    )  # fmt: skip
