"""person, observation_period and death, and the patients' identities (names,
IPP, NIR, address...), which only the notes and the raw extracts see."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from entrepot.synth._arrow import cdm, dates, datetimes
from entrepot.synth._population import Population
from entrepot.synth._reference import (
    DEATH_CERTIFICATE,
    EHR,
    FEMALE,
    MALE,
    cim10_concept,
    commune_mergers,
    communes,
    insee_rates,
    names,
    streets,
)

MAIL_DOMAINS = (
    "gmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "hotmail.fr",
    "wanadoo.fr",
    "sfr.fr",
    "yahoo.fr",
)
_IPP_FACTOR = 2654435761  # coprime with 9e9: a bijection of person ids onto IPPs


def person(people: Population, person_id: np.ndarray) -> pa.Table:
    birth = people.birth.astype("datetime64[D]")
    year = birth.astype("datetime64[Y]").astype(int) + 1970
    month = birth.astype("datetime64[M]").astype(int) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    return cdm(
        "person",
        {
            "person_id": person_id,
            "gender_concept_id": np.where(people.female, FEMALE, MALE),
            "year_of_birth": year,
            "month_of_birth": month,
            "day_of_birth": day,
            "birth_datetime": datetimes(people.birth),
            "race_concept_id": np.zeros(len(people), np.int64),
            "ethnicity_concept_id": np.zeros(len(people), np.int64),
            "location_id": people.commune + 1,
            "gender_source_value": np.where(people.female, "F", "M"),
        },
    )


def observation_period(people: Population, person_id: np.ndarray) -> pa.Table:
    return cdm(
        "observation_period",
        {
            "observation_period_id": person_id,
            "person_id": person_id,
            "observation_period_start_date": dates(people.obs_start),
            "observation_period_end_date": dates(people.obs_end),
            "period_type_concept_id": np.full(len(people), EHR),
        },
    )


def death(rng, people: Population, person_id: np.ndarray) -> pa.Table:
    """Deaths as the vital-status linkage gives them: date and cause (CIM-10)."""
    from entrepot.synth._reference import background_diagnoses

    dead = np.flatnonzero(people.dead)
    cause = people.cause[dead].copy()
    unknown = cause == ""
    causes = background_diagnoses()["DEATH"]
    cause[unknown] = rng.choice(
        causes.codes, unknown.sum(), p=causes.weight / causes.weight.sum()
    )
    concept = np.array([cim10_concept(c) for c in cause], np.int64)
    return cdm(
        "death",
        {
            "person_id": person_id[dead],
            "death_date": dates(people.obs_end[dead]),
            "death_datetime": datetimes(
                people.obs_end[dead], rng.integers(0, 1440, len(dead))
            ),
            "death_type_concept_id": np.full(len(dead), DEATH_CERTIFICATE),
            "cause_concept_id": concept,
            "cause_source_value": cause.astype(str),
            "cause_source_concept_id": concept,
        },
    )


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "-").replace("'", "")


def _pick(rng, kind: str, n: int) -> np.ndarray:
    values, p = names(kind)
    return rng.choice(values, n, p=p)


def _nir(female, birth, insee, order) -> list[str]:
    """NIR: sex, year and month of birth, commune, order, and the key 97 - (n mod 97)."""
    b = birth.astype("datetime64[D]")
    year = b.astype("datetime64[Y]").astype(int) + 1970
    month = b.astype("datetime64[M]").astype(int) % 12 + 1
    out = []
    for f, y, m, c, o in zip(female, year, month, insee, order, strict=True):
        body = f"{2 if f else 1}{y % 100:02d}{m:02d}{c}{o:03d}"
        out.append(f"{body}{97 - int(body) % 97:02d}")
    return out


def patient_ipp(person_id) -> list[str]:
    """The IPP (patient number of the raw extracts) of each synthetic person id:
    `synth_truth` names persons by person id, an ingestion of the raw extracts by
    the keyed pseudonym of their IPP (`entrepot.privacy.person_id(key, ipp)`)."""
    return [str(10**9 + (int(i) * _IPP_FACTOR) % (9 * 10**9)) for i in person_id]


def identities(
    rng, people: Population, person_id: np.ndarray, civil: np.random.Generator
) -> pa.Table:
    """Who each patient is, as the hospital's identity server knows them.

    `civil` draws what INSEE's death files compare (birth names, other first
    names, births in communes since merged) apart from `rng`, whose draws stay
    those of the hospitals made before them.
    """
    n = len(people)
    first = np.where(people.female, _pick(rng, "F", n), _pick(rng, "M", n))
    last = _pick(rng, "last", n)
    status = civil_status(civil, people, first, last)
    place = communes()
    street = rng.choice(streets(), n)
    number = rng.integers(1, 120, n)
    phone = rng.integers(0, 100, (n, 4))
    prefix = rng.choice(["06", "07", "01"], n, p=[0.55, 0.25, 0.2])
    domain = rng.choice(MAIL_DOMAINS, n)
    gp_female = rng.random(n) < 0.5
    gp = np.where(gp_female, _pick(rng, "F", n), _pick(rng, "M", n))
    return pa.table(
        {
            "person_id": pa.array(person_id, pa.int64()),
            "ipp": patient_ipp(person_id),
            "nir": _nir(
                people.female,
                people.birth,
                status.birthplace,
                rng.integers(1, 1000, n),
            ),
            "sex": np.where(people.female, "F", "M"),
            "first_name": first,
            "first_names": status.first_names,
            "last_name": last,
            "birth_name": status.birth_name,
            "birth_date": dates(people.birth),
            "street": [f"{a} {b}" for a, b in zip(number, street, strict=True)],
            "postcode": place.postcode[people.commune],
            "city": place.name[people.commune],
            "phone": [
                f"{p} {a:02d} {b:02d} {c:02d} {d:02d}"
                for p, (a, b, c, d) in zip(prefix, phone, strict=True)
            ],
            "email": [
                f"{_ascii(a)}.{_ascii(b)}@{d}"
                for a, b, d in zip(first, last, domain, strict=True)
            ],
            "mother_first_name": _pick(rng, "F", n),
            "mother_last_name": _pick(rng, "last", n),
            "gp_name": [
                f"Dr {a} {b}" for a, b in zip(gp, _pick(rng, "last", n), strict=True)
            ],
        }
    )


@dataclass(frozen=True)
class CivilStatus:
    first_names: list[str]  # every first name, in order, space-joined
    birth_name: np.ndarray  # the spouse's name is `last_name` for married women
    birthplace: np.ndarray  # COG code of the commune of birth, as on the NIR


def civil_status(rng, people: Population, first, last) -> CivilStatus:
    """First names after the first, birth names of married women, births in a
    commune that has since merged (rates: insee_deaths.yaml)."""
    rates = insee_rates()
    n = len(people)
    count = rng.choice(len(rates.first_names), n, p=rates.first_names) + 1
    more = [
        np.where(people.female, _pick(rng, "F", n), _pick(rng, "M", n))
        for _ in range(len(rates.first_names) - 1)
    ]
    first_names = [
        " ".join([f, *(m[i] for m in more)][:k])
        for i, (f, k) in enumerate(zip(first, count, strict=True))
    ]
    adult = people.age(people.obs_end) >= 25
    married = people.female & adult & (rng.random(n) < rates.married_women)
    birth_name = np.where(married, _pick(rng, "last", n), last)
    merged = commune_mergers()
    born_merged = rng.random(n) < rates.born_in_merged_commune
    old = rng.choice(merged.old_code, n)
    birthplace = np.where(born_merged, old, communes().insee[people.commune])
    return CivilStatus(first_names, birth_name, birthplace)


def location() -> pa.Table:
    """One location per commune (the patients' addresses stay out of OMOP)."""
    place = communes()
    n = len(place.insee)
    return cdm(
        "location",
        {
            "location_id": np.arange(1, n + 1),
            "city": place.name,
            "zip": place.postcode,
            "county": np.array([c[:2] for c in place.insee]),
            "location_source_value": place.insee,
            "country_source_value": np.full(n, "FR"),
        },
    )


@dataclass(frozen=True)
class CareSites:
    """The CHU's care sites: the units of units.csv first (care_site_id = its
    row + 1, as the visits name them), then their services, pôles, hospitals
    and the CHU; and each one's parent."""

    name: list[str]
    short_name: list[str]
    level: list[str]
    parent: list[int | None]


def care_sites() -> CareSites:
    from entrepot.synth._reference import CHU, units

    rows = units()
    name = [f"{u.name} - {u.hospital}" for u in rows]
    short = [u.name for u in rows]
    level = ["unité"] * len(rows)
    ids: dict[tuple, int] = {}

    def node(key: tuple, label: str, kind: str) -> int:
        if key not in ids:
            ids[key] = len(name) + 1
            name.append(
                label if kind in ("CHU", "hôpital") else f"{key[-1]} - {key[1]}"
            )
            short.append(key[-1])
            level.append(kind)
        return ids[key]

    parent: dict[int, int] = {}
    chu = node((CHU,), CHU, "CHU")
    for i, u in enumerate(rows):
        hospital = node((CHU, u.hospital), u.hospital, "hôpital")
        pole = node((CHU, u.hospital, u.pole), u.pole, "pôle")
        service = node((CHU, u.hospital, u.pole, u.service), u.service, "service")
        parent |= {i + 1: service, service: pole, pole: hospital, hospital: chu}
    return CareSites(name, short, level, [parent.get(i + 1) for i in range(len(name))])


def care_site() -> pa.Table:
    sites = care_sites()
    return cdm(
        "care_site",
        {
            "care_site_id": np.arange(1, len(sites.name) + 1),
            "care_site_name": sites.name,
            "care_site_source_value": sites.short_name,
            "place_of_service_source_value": sites.level,
        },
    )


def care_site_relationships() -> pa.Table:
    """The hierarchy as OMOP keeps it: both directions between a care site
    and its parent in `fact_relationship`."""
    from entrepot.synth._reference import (
        CARE_SITE,
        CARE_SITE_CONTAINS,
        CARE_SITE_PART_OF,
    )

    pairs = [(i + 1, p) for i, p in enumerate(care_sites().parent) if p is not None]
    child = np.array([c for c, _ in pairs] + [p for _, p in pairs], np.int64)
    other = np.array([p for _, p in pairs] + [c for c, _ in pairs], np.int64)
    n = len(pairs)
    return cdm(
        "fact_relationship",
        {
            "domain_concept_id_1": np.full(2 * n, CARE_SITE),
            "fact_id_1": child,
            "domain_concept_id_2": np.full(2 * n, CARE_SITE),
            "fact_id_2": other,
            "relationship_concept_id": np.repeat(
                [CARE_SITE_PART_OF, CARE_SITE_CONTAINS], n
            ),
        },
    )
