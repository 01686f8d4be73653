"""API: text processing in the background (mentions into note_nlp, then the
search index), for administrators."""

from __future__ import annotations

from fastapi import APIRouter, Request

from entrepot.errors import MissingDependencyError
from entrepot.web._auth import Managing
from entrepot.web._state import state

router = APIRouter(prefix="/admin", tags=["admin"])


def process_notes(wh, job) -> dict:
    """New and changed notes into note_nlp, then into the index (one process:
    the server's threads must not fork)."""
    from entrepot.nlp import run_nlp
    from entrepot.search import update_index

    job.report("extracting mentions", 0.05)
    mentions = run_nlp(wh, workers=1, progress=lambda n: job.report(f"mentions: {n}"))
    job.report("indexing", 0.6)
    index = update_index(wh, workers=1, progress=lambda n: job.report(f"index: {n}"))
    return {"note_nlp": mentions, "index": index}


@router.post("/text", status_code=202)
def start_text_processing(request: Request, decision: Managing) -> dict:
    """Process new and changed notes in the background: `{"job": id}`; poll
    `/api/jobs/{id}`. The warehouse is held while it runs (requests wait)."""
    try:
        import entrepot.nlp  # noqa: F401
        import entrepot.search  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError(str(e)) from None
    web = state(request)

    def work(job) -> dict:
        try:
            return web.use(process_notes, job)
        finally:
            web.changed()

    job = web.jobs.start("text", decision.user, None, work)
    return {"job": job.id}
