"""The JSON API, one router per area, all under `/api/`."""

from entrepot.web.api import (
    _admin,
    _care_sites,
    _circe,
    _cohorts,
    _datathon,
    _extractions,
    _mapping,
    _overview,
    _patients,
    _prescriptions,
    _quality,
    _requests,
    _search,
    _session,
    _slides,
    _subgroups,
    _text,
    _vocabulary,
)

ROUTERS = [
    m.router
    for m in (
        _session,
        _overview,
        _vocabulary,
        _care_sites,
        _mapping,
        _cohorts,
        _circe,
        _subgroups,
        _extractions,
        _search,
        _patients,
        _slides,
        _prescriptions,
        _admin,
        _datathon,
        _text,
        _quality,
        _requests,
    )
]
