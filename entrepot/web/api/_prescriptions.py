"""API: a virtual prescription checked against the ANSM interaction thesaurus,
and its possible adverse effects by organ system (lines typed in by the user:
no patient data)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from entrepot.errors import DrugInputError
from entrepot.web._auth import LoggedIn
from entrepot.web._state import state

router = APIRouter(tags=["prescriptions"])

MAX_LINES = 200
MAX_CHARS = 10_000


class Prescription(BaseModel):
    """Drug lines, as a list or as one text (a line each)."""

    model_config = ConfigDict(extra="forbid")

    lines: list[str] | None = None
    text: str | None = None

    @model_validator(mode="after")
    def one_of(self) -> Prescription:
        if (self.lines is None) == (self.text is None):
            raise ValueError("give either lines or text")
        return self

    def drug_lines(self) -> list[str]:
        raw = self.lines if self.lines is not None else self.text.splitlines()
        if len(raw) > MAX_LINES:
            raise HTTPException(
                413, f"{len(raw)} lines: at most {MAX_LINES} are checked"
            )
        if sum(len(line) for line in raw) > MAX_CHARS:
            raise HTTPException(413, f"over {MAX_CHARS:,} characters of prescription")
        lines = [line.strip() for line in raw if line.strip()]
        if not lines:
            raise DrugInputError("no prescription line given")
        return lines


class Line(BaseModel):
    line: int
    input: str
    recognized: bool
    name: str | None
    substances: list[str]
    atc: list[str]
    route: str | None
    form: str | None
    route_doubt: str | None


class DoseCondition(BaseModel):
    text: str
    met: bool | None


class Found(BaseModel):
    a: int
    b: int
    level: str
    level_name: str
    rules: list[list[str]]
    risk: str
    conduct: str
    condition: str
    why: str | None
    dose_condition: DoseCondition | None
    route_doubt: str | None


class Checked(BaseModel):
    thesaurus: str
    drugs: list[Line]
    unrecognized: list[Line]
    interactions: list[Found]
    levels: dict[str, str]


@router.post("/prescriptions/check", response_model=Checked)
def check_prescription(session: LoggedIn, body: Prescription) -> Checked:
    """Drugs recognised in each line (substances, ATC, form, route), lines not
    recognised, and every interacting pair, most severe level first, with the
    thesaurus's risk and what to do, its dose condition and any route doubt."""
    from entrepot.drugs import LEVELS, check

    result = check(body.drug_lines())
    lines = [
        Line(
            line=i,
            input=d.input,
            recognized=d.recognized,
            name=" + ".join(d.substances) or None,
            substances=list(d.substances),
            atc=list(d.atc),
            route=d.route,
            form=d.form,
            route_doubt=d.route_doubt,
        )
        for i, d in enumerate(result.drugs)
    ]
    return Checked(
        thesaurus=result.thesaurus,
        drugs=lines,
        unrecognized=[lines[i] for i in result.unrecognized],
        interactions=[
            Found(level_name=LEVELS[it.level], **it.to_dict())
            for it in result.interactions
        ],
        levels=LEVELS,
    )


class EffectsAsked(Prescription):
    """Drug lines, and what to keep of their effects."""

    frequency: str | None = Field(
        None, description="This class and the more frequent ones (très fréquent…)."
    )
    search: str | None = Field(
        None, max_length=200, description="Terms holding it (accents, case aside)."
    )


class Effect(BaseModel):
    term: str
    frequency: str
    lines: list[int]


class Organ(BaseModel):
    organ: str
    count: int
    effects: list[Effect]


class EffectLine(BaseModel):
    line: int
    input: str
    recognized: bool
    substances: list[str]
    atc: list[str]
    sources: list[str]
    effects: int
    organs: dict[str, int]


class Effects(BaseModel):
    source: str
    frequencies: list[str]
    lines: list[EffectLine]
    organs: list[Organ]


@router.post("/prescriptions/effects", response_model=Effects)
def prescription_effects(
    request: Request, session: LoggedIn, body: EffectsAsked
) -> Effects:
    """Possible adverse effects of each line and of the whole prescription, by
    organ system, most effects first: the warehouse's effect pack if one is
    loaded, else the curated table of French SmPCs shipped with entrepot."""
    from entrepot.drugs import FREQUENCIES, effect_table, effects

    lines = body.drug_lines()
    result = state(request).use(
        lambda wh: effects(
            lines,
            frequency=body.frequency or None,
            search=body.search or None,
            table=effect_table(wh),
        )
    )
    return Effects(
        source=result.source, frequencies=list(FREQUENCIES), **result.to_dict()
    )
