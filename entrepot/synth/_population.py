"""Who the patients are: sex, age, commune, observation period, death."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entrepot.synth._reference import age_pyramid, communes, female_share

YEAR = 365.25
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
    first_seen: np.ndarray  # first contact inside the period (else followed before it)
    censored: np.ndarray  # still followed when the period ends (alive, no last contact)
    follow_start: np.ndarray  # first contact, even before the period
    follow_end: np.ndarray  # last contact, even after the period
    cause: np.ndarray  # CIM-10 (undotted) of the death, '' if alive

    def __len__(self) -> int:
        return len(self.female)

    def age(self, day: np.ndarray, who: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Age in years of patients `who` on `day`."""
        return (day - self.birth[who]) / YEAR


def population(rng: np.random.Generator, n: int, start: int, end: int) -> Population:
    """`n` patients whose contacts with the hospital fall within [start, end].

    The hospital is stationary: some patients are already followed on the first
    day (as many as on any later day), and those still followed on the last day
    are censored there, alive, without a last contact. Ages at the first contact
    (or on the first day) follow the INSEE pyramid of each sex.
    """
    female = rng.random(n) < female_share()
    bands, share = age_pyramid()
    band = np.where(
        female,
        rng.choice(len(bands), n, p=share["F"]),
        rng.choice(len(bands), n, p=share["M"]),
    )
    age = bands[band] + rng.random(n) * 5
    followed = FOLLOW_UP_YEARS * YEAR * (1 - SINGLE_EPISODE)  # mean days of follow-up
    before = rng.random(n) < followed / (followed + end - start)
    long = rng.exponential(FOLLOW_UP_YEARS * YEAR, n).astype(np.int64)
    since = rng.exponential(FOLLOW_UP_YEARS * YEAR, n).astype(np.int64)  # before it
    follow = np.where(
        ~before & (rng.random(n) < SINGLE_EPISODE), rng.integers(0, 15, n), long
    )
    obs_start = np.where(before, start, rng.integers(start, end - 30, n, endpoint=True))
    censored = obs_start + follow > end
    obs_end = np.minimum(obs_start + follow, end)
    birth = obs_start - (age * YEAR).astype(np.int64)
    age_end = (obs_end - birth) / YEAR
    dying = np.clip(0.004 * np.exp((age_end - 50) / 11), 0, 0.5)
    dead = ~censored & (rng.random(n) < dying)
    place = communes()
    return Population(
        female=female,
        birth=birth,
        obs_start=obs_start,
        obs_end=obs_end,
        commune=rng.choice(len(place.weight), n, p=place.weight),
        dead=dead,
        first_seen=~before,
        censored=censored,
        follow_start=obs_start - np.where(before, since, 0),
        follow_end=obs_start + follow,
        cause=np.full(n, "", dtype=object),
    )
