"""Who the patients are: sex, age, commune, observation period, death."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entrepot.synth._reference import communes

YEAR = 365.25
#: Share of women in France (INSEE, 2023).
FEMALE_SHARE = 0.516
#: Age pyramid of France in 5-year bands, 0-4 to 95-99, per cent (INSEE 2023,
#: rounded). Ages at the first contact with the hospital follow it.
AGE_PYRAMID = np.array(
    [5.3, 5.8, 6.2, 6.1, 5.6, 5.5, 6.0, 6.2, 6.2, 6.5]
    + [6.6, 6.6, 6.2, 5.8, 5.4, 4.0, 3.0, 2.0, 0.9, 0.25]
)
AGE_BANDS = np.arange(0, 100, 5)
#: Share of patients seen for one episode only (first contact = last contact).
SINGLE_EPISODE = 0.35
FOLLOW_UP_YEARS = 5.0  # mean follow-up of the others (exponential)


@dataclass
class Population:
    """One chunk of patients, as arrays indexed by patient number in the chunk."""

    female: np.ndarray
    birth: np.ndarray  # days since 1970-01-01
    obs_start: np.ndarray
    obs_end: np.ndarray  # last contact, or death
    commune: np.ndarray  # row of communes()
    dead: np.ndarray
    cause: np.ndarray  # CIM-10 (undotted) of the death, '' if alive

    def __len__(self) -> int:
        return len(self.female)

    def age(self, day: np.ndarray, who: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Age in years of patients `who` on `day`."""
        return (day - self.birth[who]) / YEAR


def population(rng: np.random.Generator, n: int, start: int, end: int) -> Population:
    """`n` patients whose contacts with the hospital fall within [start, end]."""
    female = rng.random(n) < FEMALE_SHARE
    band = rng.choice(len(AGE_BANDS), n, p=AGE_PYRAMID / AGE_PYRAMID.sum())
    age = AGE_BANDS[band] + rng.random(n) * 5
    obs_start = rng.integers(start, end - 30, n, endpoint=True)
    follow = np.where(
        rng.random(n) < SINGLE_EPISODE,
        rng.integers(0, 15, n),
        rng.exponential(FOLLOW_UP_YEARS * YEAR, n).astype(np.int64),
    )
    obs_end = np.minimum(obs_start + follow, end)
    birth = obs_start - (age * YEAR).astype(np.int64)
    age_end = (obs_end - birth) / YEAR
    dead = rng.random(n) < np.clip(0.004 * np.exp((age_end - 50) / 11), 0, 0.5)
    place = communes()
    return Population(
        female=female,
        birth=birth,
        obs_start=obs_start,
        obs_end=obs_end,
        commune=rng.choice(len(place.weight), n, p=place.weight),
        dead=dead,
        cause=np.full(n, "", dtype=object),
    )
