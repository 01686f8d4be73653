"""Hand-written people for linkage tests: patients (their identity vault and
person rows) and INSEE death records in `read_insee_deaths`' layout, some of
them the patients' with the noise real files have, and the true pairs."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pyarrow as pa

from entrepot.privacy import IDENTITY, check_key, update_identities

SURNAMES = """MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT
SIMON MICHEL LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT
LAMBERT FONTAINE ROUSSEAU VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN
BOYER GARNIER CHEVALIER FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN
NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT MARIE
LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD GIRAUD JOLY RIVIERE LUCAS BRUNET
GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT ROY LEROUX COLIN VIDAL
CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE BOURGEOIS
PIERRE BENOIT REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME LECOMTE LOPEZ JEAN DUPUY
GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS MOULIN LOUIS DESCHAMPS HUET VASSEUR
PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET ADAM PARIS POIRIER MARTY AUBRY GUYOT CARRE
CHARLES RENAULT CHARPENTIER MENARD MAILLARD BARON BERTIN BAILLY HERVE SCHNEIDER
FERNANDEZ LEGALL COLLET LEGER BOUVIER JULIEN PREVOST MILLET PERROT DANIEL LECOQ""".split()
MEN = """JEAN PIERRE MICHEL ANDRE PHILIPPE RENE LOUIS ALAIN JACQUES BERNARD MARCEL
DANIEL ROGER ROBERT PAUL CLAUDE CHRISTIAN HENRI GEORGES NICOLAS FRANCOIS PATRICK
GERARD CHRISTOPHE JOSEPH JULIEN MAURICE LUCIEN FREDERIC PASCAL""".split()
WOMEN = """MARIE JEANNE FRANCOISE MONIQUE CATHERINE NATHALIE ISABELLE JACQUELINE ANNE
SYLVIE MARTINE MADELEINE NICOLE SUZANNE HELENE CHRISTINE MARGUERITE DENISE LOUISE
CHRISTIANE YVONNE SOPHIE VALERIE GERMAINE PATRICIA ODETTE SIMONE CELINE JULIE
CAMILLE""".split()
#: The columns `read_insee_deaths` gives (fix-insee's format module).
INSEE = pa.schema(
    {
        "file": pa.string(),
        "line": pa.int64(),
        "surname": pa.string(),
        "first_names": pa.string(),
        "sex": pa.string(),
        "birth_date": pa.string(),
        "birth_year": pa.int64(),
        "birth_month": pa.int64(),
        "birth_day": pa.int64(),
        "birthplace_code": pa.string(),
        "birthplace_name": pa.string(),
        "birth_country": pa.string(),
        "death_date": pa.string(),
        "death_place_code": pa.string(),
        "certificate": pa.string(),
    }
)


def person(rng: random.Random, pid: int) -> dict:
    sex = rng.choice("MF")
    names = MEN if sex == "M" else WOMEN
    born = date(1920, 1, 1) + timedelta(days=rng.randrange(365 * 80))
    surname = rng.choice(SURNAMES)
    return {
        "person_id": pid,
        "surname": rng.choice(SURNAMES)
        if sex == "F" and rng.random() < 0.4
        else surname,
        "birth_name": surname,
        "first_names": " ".join(rng.sample(names, rng.choice((1, 2, 2, 3)))),
        "birth_date": born,
        "sex": sex,
        "birthplace_code": f"{rng.randrange(1, 96):02d}{rng.randrange(1, 600):03d}",
        "shift_days": rng.randrange(-30, 31),
    }


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word))
    return word[:i] + rng.choice("AEIOURSTLN") + word[i + 1 :]


def record(rng: random.Random, p: dict, *, noisy: bool) -> dict:
    """A death record of this person, with one kind of noise when `noisy`."""
    surname, first = p["birth_name"], p["first_names"].split()
    born, place = p["birth_date"], p["birthplace_code"]
    y, m, d = born.year, born.month, born.day
    noise = rng.choice(("order", "first", "typo", "day", "month", "place", "swap"))
    if noisy and noise == "order":
        first = first[::-1]
    elif noisy and noise == "first":
        first = first[:1]
    elif noisy and noise == "typo":
        surname = _typo(rng, surname)
    elif noisy and noise == "day":
        d = None
    elif noisy and noise == "month":
        m = None
    elif noisy and noise == "place":
        place = place[:2] + f"{(int(place[2:]) + 7) % 1000:03d}"  # a merged commune
    elif noisy and noise == "swap" and d <= 12:
        m, d = d, m
    died = born + timedelta(days=365 * 60 + rng.randrange(9000))
    return {
        "surname": surname,
        "first_names": " ".join(first),
        "sex": p["sex"],
        "birth_date": f"{y:04d}{m or 0:02d}{d or 0:02d}",
        "birth_year": y,
        "birth_month": m,
        "birth_day": d,
        "birthplace_code": place,
        "birthplace_name": "",
        "birth_country": "",
        "death_date": died.strftime("%Y%m%d"),
        "death_place_code": place,
        "certificate": f"{rng.randrange(10**6):06d}",
    }


def population(patients: int, deaths: int, others: int, seed: int = 1):
    """(vault rows, death records, true pairs {line: person_id}): `deaths` of
    the patients died (two thirds with noise), `others` records are strangers."""
    rng = random.Random(seed)
    people = [person(rng, 2**41 + i) for i in range(patients + others)]
    mine, strangers = people[:patients], people[patients:]
    dead = rng.sample(mine, deaths)
    rows = [(record(rng, p, noisy=rng.random() < 0.67), p["person_id"]) for p in dead]
    rows += [(record(rng, p, noisy=False), None) for p in strangers]
    rng.shuffle(rows)
    truth = {}
    for line, (row, pid) in enumerate(rows, start=1):
        row |= {"file": "deces-2024-m01.txt", "line": line}
        if pid is not None:
            truth[line] = pid
    vault = pa.Table.from_pylist(mine, schema=IDENTITY)
    return vault, pa.Table.from_pylist([r for r, _ in rows], schema=INSEE), truth


def install(wh, key, vault: pa.Table) -> None:
    """These patients in the warehouse (person rows) and in its vault."""
    born = vault["birth_date"].to_pylist()
    persons = pa.Table.from_pylist(
        [
            {
                "person_id": pid,
                "gender_concept_id": 8507 if s == "M" else 8532,
                "year_of_birth": b.year,
                "race_concept_id": 0,
                "ethnicity_concept_id": 0,
            }
            for pid, s, b in zip(
                vault["person_id"].to_pylist(),
                vault["sex"].to_pylist(),
                born,
                strict=True,
            )
        ],
        schema=wh.table("person").schema().to_pyarrow(),
    )
    check_key(wh, key)
    with wh.store.transaction() as tx:
        tx.append("cdm", "person", wh.store.from_arrow(persons))
    update_identities(wh, key, vault)
