"""Readying the demo warehouse for the web app: a search index, a demo login."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEMO_USER = "demo"


def _credentials_file(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".credentials")


def demo_login(wh, warehouse: str | Path) -> dict:
    """The demo account (an administrator of this synthetic warehouse only):
    created once, its password kept beside the warehouse, readable by its owner
    alone."""
    from entrepot.privacy import add_user, list_users

    path = _credentials_file(Path(warehouse))
    known = {u["name"] for u in list_users(wh)}
    if DEMO_USER in known and path.exists():
        password = path.read_text().strip()
    elif DEMO_USER in known:
        raise FileNotFoundError(f"{path}: the demo password is lost; rebuild the demo")
    else:
        password = secrets.token_urlsafe(12)
        add_user(wh, DEMO_USER, "admin", password, by="entrepot demo")
        path.touch(mode=0o600)
        path.write_text(password + "\n")
    os.chmod(path, 0o600)
    return {"user": DEMO_USER, "password": password}


def index_notes(wh, progress=None) -> int | None:
    """Index the notes for search in reports; None without the `nlp` extra."""
    try:
        from entrepot.search import update_index
    except ImportError:
        return None
    return int(update_index(wh, progress=progress)["indexed"])
