"""API: the patient subgroups of a saved cohort of the project, in the
background: its persons' features (a shipped spec), their clusters, then the
clusters' profiles and survival. Only the profiles leave, through the release
gate (masked, audited); the features and each person's cluster stay on the
server."""

from __future__ import annotations

from typing import Annotated, Literal

import pyarrow as pa
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from entrepot.errors import NotFoundError, ParameterError
from entrepot.privacy import Decision
from entrepot.subgroups import (
    DEFAULT_METHOD,
    build_features,
    feature_matrix,
    load_spec,
    profile_clusters,
    shipped_specs,
)
from entrepot.subgroups import cluster as cluster_persons
from entrepot.subgroups._cluster import check_method
from entrepot.subgroups._files import parse_k
from entrepot.subgroups._report import survival_plot
from entrepot.web._auth import Exporting
from entrepot.web._state import state
from entrepot.web.api._cohorts import Started

router = APIRouter(tags=["subgroups"])

#: The methods offered on the web (mvmc needs a file of views).
Method = Literal["lca", "ward", "kprototypes", "gmm", "hdbscan"]


class Study(BaseModel):
    """What to cluster, and how."""

    cohort: int | str = Field(description="a saved cohort's id or name")
    spec: str = Field("systemic_sclerosis", description="a shipped feature spec")
    method: Method = DEFAULT_METHOD
    k: Annotated[int, Field(ge=2, le=50)] | Literal["auto"] = "auto"
    seed: int = Field(0, ge=0, le=2**31)


def _checked(study: Study) -> tuple:
    """The spec and k of a study, refused at once when wrong."""
    if study.spec not in shipped_specs():
        known = ", ".join(sorted(shipped_specs()))
        raise ParameterError(f"spec {study.spec!r}: not a shipped spec ({known})")
    check_method(study.method)
    return load_spec(study.spec), parse_k(study.k)


def _features(wh, decision: Decision, study: Study, spec):
    return build_features(wh, study.cohort, spec, decision, source=study.spec)


def _released(wh, decision: Decision, study: Study, features, found) -> dict:
    """The profiles (as `entrepot profiles --json`, audited as `profiles`)
    and, under `clustering`, how the clusters were chosen and their
    stability, with the profiles' sizes: released once, so that one hidden
    size cannot be told from the other's exact one."""
    asked = study.model_dump() | {"cohort": str(study.cohort)}
    members = pa.table(
        {"person_id": found.ids.tolist(), "cluster": found.labels.tolist()}
    )
    profiles = profile_clusters(
        wh,
        decision,
        features.cohort_definition_id,
        members,
        features.table,
        parameters=asked,
    )
    sizes = [
        c["size"] for c in sorted(profiles["clusters"], key=lambda c: c["cluster"])
    ]
    clustering = found.as_dict() | {"n": decision.mask(len(found.ids)), "sizes": sizes}
    clustering["profiles"] = [
        profile if isinstance(size, int) else None
        for size, profile in zip(sizes, clustering["profiles"], strict=True)
    ]
    return profiles | {"clustering": clustering}


@router.post("/subgroups", status_code=202, response_model=Started)
def create_subgroups(request: Request, decision: Exporting, study: Study) -> Started:
    """Cluster the persons of a saved cohort of the project by the features
    of a shipped spec, then profile the clusters, in the background (the
    right to export: features are person-level rows, though only the
    profiles leave). The job's result is the profiles, masked, as
    `entrepot profiles --json`, with the clustering's sizes and stability."""
    web = state(request)
    spec, k = _checked(study)

    def work(job) -> dict:
        job.report("features", 0.1)
        features = web.use(_features, decision, study, spec)
        job.report("clusters", 0.4)
        m = feature_matrix(features.table, f"cohort {features.cohort_definition_id}")
        found = cluster_persons(m, study.method, k, seed=study.seed)
        job.report("profiles", 0.8)
        return web.use(_released, decision, study, features, found)

    job = web.jobs.start("subgroups", decision.user, decision.project, work)
    return Started(job=job.id)


@router.get(
    "/subgroups/{job_id}/survival.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def survival(
    request: Request,
    decision: Exporting,
    job_id: Annotated[int, Path(ge=1, le=2**62)],
) -> Response:
    """The Kaplan-Meier curves of a finished subgroups job (its released
    result, drawn): only to the user who started it, within its project."""
    found = state(request).jobs.get(job_id, decision.user, decision.project)
    if found is None or found.kind != "subgroups" or found.state != "done":
        raise NotFoundError(f"job {job_id}: no finished subgroups job of yours")
    return Response(survival_plot(found.result), media_type="image/svg+xml")
