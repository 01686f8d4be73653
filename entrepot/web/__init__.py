"""The web app and HTTP API: FastAPI over one warehouse.

`create_app(wh)` builds the application (JSON API under `/api/`, pages,
static files); `serve(uri)` runs it with uvicorn. Every request but the
login and static files carries a session (bearer token or cookie), is
authorised by the privacy module's access model and written to the audit
log; counts leave masked as the privacy rules say.
"""

from entrepot.web._app import create_app
from entrepot.web._server import serve

__all__ = ["create_app", "serve"]
