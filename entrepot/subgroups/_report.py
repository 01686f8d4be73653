"""The profiles and survival of clusters as one self-contained HTML file
(French labels, inline style and SVG, no script)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jinja2

from entrepot.errors import OutputPathError
from entrepot.subgroups._plot import survival_svg

SEXES = {"female": "femmes", "male": "hommes", "other or unknown": "autre ou inconnu"}
TOPICS = (("conditions", "diagnostic"), ("drugs", "médicament"), ("labs", "examen"))


def render_report(result: dict) -> str:
    """The HTML of `profile_clusters`' result (as released)."""
    template = files("entrepot.data.subgroups").joinpath("profiles.html")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    shown = [c for c in result["clusters"] if "km" in c]
    return env.from_string(template.read_text(encoding="utf-8")).render(
        result=result,
        cohort=_cohort(result),
        shown=shown,
        times=shown[0]["km"]["times"] if shown else [],
        plot=survival_plot(result),
        sexes=SEXES,
        topics=TOPICS,
    )


def survival_plot(result: dict) -> str:
    """The Kaplan-Meier curves of `profile_clusters`' result, as an SVG."""
    curves = {
        f"sous-groupe {c['cluster']}": c["km"] for c in result["clusters"] if "km" in c
    }
    return survival_svg(curves, f"Survie par sous-groupe, cohorte {_cohort(result)}")


def _cohort(result: dict) -> str:
    return result["cohort"] or f"n° {result['cohort_definition_id']}"


def write_report(result: dict, path: str | Path) -> Path:
    """Write the report to `path` (its folder must exist)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputPathError(f"{path}: no folder {path.parent} to write the report in")
    path.write_text(render_report(result), encoding="utf-8")
    return path
