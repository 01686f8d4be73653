"""Accessibility checks for the browser tests, for any page a test has open:
axe-core (4.12, bundled by axe-playwright-python) against WCAG 2.1 A and AA.

`assert_accessible(page, name)` fails on a serious or critical violation and
writes every violation, whatever its impact, to
`test-artifacts/accessibility/<name>.json`. `page_routes()` lists the pages
of the app (the GET routes of its page routers), so that a test can see that
none is left unvisited."""

from __future__ import annotations

import json
from pathlib import Path

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "accessibility"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


def violations(page) -> list[dict]:
    """axe's WCAG 2.1 AA violations on the page as it is now: id, impact,
    help and the elements (CSS selectors) of each."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": WCAG_21_AA},
        "resultTypes": ["violations"],
    }
    found = Axe().run(page, options=options).response["violations"]
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [", ".join(map(str, n["target"])) for n in v["nodes"]],
        }
        for v in found
    ]


def assert_accessible(page, name: str) -> list[dict]:
    """No serious or critical violation on the page; every violation found is
    written to the artifacts and returned (the minor ones too)."""
    found = violations(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(
        json.dumps({"url": page.url, "violations": found}, indent=1)
    )
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert blocking == [], f"{name} ({page.url}): {json.dumps(blocking, indent=1)}"
    return found


def page_routes() -> set[str]:
    """The path templates of the app's pages: the GET routes of `pages.ROUTERS`."""
    from entrepot.web import pages

    return {
        route.path
        for router in pages.ROUTERS
        for route in router.routes
        if "GET" in route.methods
    }
