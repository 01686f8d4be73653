"""The node's side of a network (`/node/`): what a hub may ask this
warehouse. Not a user's API: each request is signed by a hub that holds a
token this node issued (`entrepot.network`), each answer signed back; the
studies run only once this node's administrator accepted them, and answer
through the release gate with aggregates only."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response

from entrepot.errors import EntrepotError, first_line
from entrepot.network import Nonces, answer_study, hub_key, receive_study, sign_response
from entrepot.web._errors import error_body, status_of
from entrepot.web._state import state

router = APIRouter(prefix="/node", include_in_schema=False)
_nonces = Nonces()


async def _signed(request: Request, work) -> Response:
    """Check the hub's signature, run `work(wh, hub, body)` on the warehouse,
    and sign the answer (errors included) for the hub to check."""
    web = state(request)
    body = await request.body()
    hub, key = web.use(hub_key, request.headers.get("x-entrepot-key"))
    _nonces.check(key, request.headers, request.method, request.url.path, body)
    try:
        data = json.loads(body or b"{}")
        content, status = web.use(work, hub, data, web), 200
    except EntrepotError as e:
        status = status_of(e)
        content = error_body(request, status, first_line(e))
    except ValueError:
        content, status = error_body(request, 400, "the body is not JSON"), 400
    raw = json.dumps(content).encode()
    nonce = request.headers.get("x-entrepot-nonce", "")
    headers = {"X-Entrepot-Signature": sign_response(key, nonce, raw)}
    return Response(raw, status, headers, media_type="application/json")


@router.post("/studies")
async def receive(request: Request) -> Response:
    return await _signed(
        request, lambda wh, hub, data, web: receive_study(wh, hub, data)
    )


@router.post("/studies/{study_id}/run")
async def run(study_id: str, request: Request) -> Response:
    def work(wh, hub, data, web):
        return answer_study(
            wh, hub, study_id, data, lambda f: web.cached(("network", study_id), f)
        )

    return await _signed(request, work)
