"""Enrichment: a hospital in which a chosen share of the patients has a disease
(e.g. a study cohort of EUSTAR's size, `systemic_sclerosis=0.77`).

Each chunk gives the disease to its exact share of the slots (rounded on the
running total, so the hospital's share is exact whatever the chunking), chosen
at random. The patient in such a slot is drawn again, from the patients the
module would pick: a population drawn as usual, kept by rejection with the
module's weight of age at onset and sex. The other slots are left as they are,
so the rest of the hospital is the usual one.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from entrepot.errors import ParameterError
from entrepot.synth._diseases import onsets, sex_weights
from entrepot.synth._modules import Module
from entrepot.synth._population import Population, population

#: Candidates drawn per patient wanted, per round of the rejection sampler.
OVERDRAW = 4
MAX_ROUNDS = 20  # without a single patient kept: the module cannot occur


def check_enrichment(enrich: dict[str, float], modules: list[Module]) -> None:
    """A one-line error for an unknown module or a share outside (0, 1]."""
    names = {m.name for m in modules}
    for name, fraction in enrich.items():
        if name not in names:
            raise ParameterError(f"enrich {name}: no disease module of that name")
        if not 0 < fraction <= 1:
            raise ParameterError(
                f"enrich {name}={fraction:g}: the share must be in (0, 1]"
            )
    if (total := sum(enrich.values())) > 1 + 1e-9:
        raise ParameterError(f"enrich: the shares add up to {total:g}, more than 1")


def enrich(
    rng: np.random.Generator,
    people: Population,
    enrichment: tuple[tuple[str, float], ...],
    modules: dict[str, Module],
    first: int,
    window: tuple[int, int],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Redraw the patients of the enriched slots of a chunk (in place); for each
    module, which patients must have it and their onset days.

    `first` is the number of patients of the chunks before this one, `window`
    the period (first and last day).
    """
    if not enrichment:
        return {}
    n = len(people)
    slots = rng.permutation(n)
    taken = 0
    forced = {}
    for name, fraction in enrichment:
        wanted = round(fraction * (first + n)) - round(fraction * first)
        who = slots[taken : taken + min(wanted, n - taken)]
        taken += len(who)
        drawn, onset = _patients_with(rng, modules[name], len(who), window)
        for f in fields(Population):
            getattr(people, f.name)[who] = getattr(drawn, f.name)
        given = np.zeros(n, bool)
        given[who] = True
        day = np.full(n, -1, np.int64)
        day[who] = onset
        forced[name] = (given, day)
    return forced


def _patients_with(rng, module: Module, k: int, window: tuple[int, int]):
    """`k` patients drawn as the module draws its patients, and their onsets."""
    bound = max(sex_weights(module))  # the weight of age at onset is at most 1
    kept: list[tuple[Population, np.ndarray]] = []
    found = rounds = 0
    while found < k:
        pool = population(rng, max(OVERDRAW * k, 64), *window)
        onset, weight, _ = onsets(rng, pool, module)
        keep = np.flatnonzero(rng.random(len(pool)) * bound < weight)[: k - found]
        kept.append((_rows(pool, keep), onset[keep]))
        found += len(keep)
        rounds += 1
        if rounds == MAX_ROUNDS and not found:
            raise ParameterError(
                f"enrich {module.name}: no patient of this period can have it"
            )
    people = Population(
        **{
            f.name: np.concatenate([getattr(p, f.name) for p, _ in kept])
            for f in fields(Population)
        }
    )
    return people, np.concatenate([o for _, o in kept])


def _rows(people: Population, rows: np.ndarray) -> Population:
    return Population(
        **{f.name: getattr(people, f.name)[rows] for f in fields(Population)}
    )
