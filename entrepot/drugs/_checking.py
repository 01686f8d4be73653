"""Interactions between prescription lines: every thesaurus rule that applies
through substances and classes, the level that applies, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._thesaurus import (
    LEVELS,
    Level,
    Rule,
    Thesaurus,
    dose_text,
    level_rank,
)

ASPIRIN = "acide acetylsalicylique"
_DOSE_NAMES = {
    "anti-inflammatoire": "anti-inflammatoire (>= 1 g par prise ou >= 3 g par jour)",
    "antalgique": "antalgique ou antipyrétique (>= 500 mg par prise, < 3 g par jour)",
    "antiagregant": "antiagrégante (50 à 375 mg par jour)",
}


@dataclass(frozen=True)
class Interaction:
    """One interacting pair of lines (`a`, `b`: their 0-based indexes).

    `dose_condition`: the thesaurus's dose text for the level and whether the
    prescription meets it (None: not read); `route_doubt`: the lines whose route
    is a guess, the interaction being shown all the same."""

    a: int
    b: int
    level: str
    rules: list[list[str]]
    risk: str
    conduct: str
    condition: str
    why: str | None = None
    dose_condition: dict | None = None
    route_doubt: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    """A prescription checked against a thesaurus edition."""

    thesaurus: str
    drugs: list[Drug]
    interactions: list[Interaction]

    @property
    def unrecognized(self) -> list[int]:
        return [i for i, d in enumerate(self.drugs) if not d.recognized]

    def to_dict(self) -> dict:
        return {
            "thesaurus": self.thesaurus,
            "drugs": [d.to_dict() for d in self.drugs],
            "interactions": [i.to_dict() for i in self.interactions],
            "unrecognized": self.unrecognized,
        }


def check(lines: list[str], thesaurus: Thesaurus | None = None) -> Check:
    """Check prescription lines two by two; interactions most severe first, those
    whose dose condition is not met after the others of their level.
    Unrecognised lines are reported and the others still checked."""
    thesaurus = thesaurus or Thesaurus.current()
    drugs = [recognize(line, thesaurus) for line in lines]
    found = []
    for i, x in enumerate(drugs):
        for j in range(i + 1, len(drugs)):
            if (hit := interaction(x, drugs[j], thesaurus)) is not None:
                found.append(Interaction(i, j, **hit))
    found.sort(
        key=lambda it: (level_rank(it.level), unmet(it.dose_condition), it.a, it.b)
    )
    return Check(thesaurus.edition, drugs, found)


def unmet(dose_condition: dict | None) -> bool:
    """Whether a dose condition is known not to be met."""
    return dose_condition is not None and dose_condition["met"] is False


def interaction(x: Drug, y: Drug, thesaurus: Thesaurus) -> dict | None:
    """The fields of the interaction of two drugs (`Interaction` without the
    indexes), or None. Of the rules that apply, the most severe whose dose
    condition is not known to be unmet gives the level."""
    matched: dict[int, list[str]] = {}
    for sx, kx in x.interactants:
        for sy, ky in y.interactants:
            if sx == sy:
                continue  # the same substance twice is no interaction
            for key in kx:
                for index, side in thesaurus.by_key.get(key, ()):
                    rule = thesaurus.rules[index]
                    if rule.keys[1 - side] in ky and index not in matched:
                        names = [rule.a, rule.b] if side == 0 else [rule.b, rule.a]
                        matched[index] = names
    if not matched:
        return None
    applied = []
    for index, names in matched.items():
        rule = thesaurus.rules[index]
        level, why, dose = _applicable(rule, x, y)
        applied.append(
            (unmet(dose), level_rank(level.level), names, rule, level, why, dose)
        )
    applied.sort(key=lambda a: a[:3])
    *_, rule, level, _, dose = applied[0]
    whys = [a[5] for a in applied if a[5]]
    doubts = [f"« {d.input} »: {d.route_doubt}" for d in (x, y) if d.route_doubt]
    return {
        "level": level.level,
        "rules": [a[2] for a in applied],
        "risk": rule.risk,
        "conduct": level.conduct,
        "condition": level.condition,
        "why": " ".join(dict.fromkeys(whys)) or None,
        "dose_condition": dose,
        "route_doubt": "; ".join(doubts) or None,
    }


def _applicable(rule: Rule, x: Drug, y: Drug) -> tuple[Level, str | None, dict | None]:
    """The level of a rule for these two drugs, why it was chosen when a dose or
    a route decided, and its dose condition. A level is never dropped for a dose
    below it (its condition is then unmet), nor for a route that is a guess."""
    levels = list(rule.levels)
    whys = []
    met = None  # whether the aspirin dose is one the levels are for; None: not read
    present = {s for drug in (x, y) for s, _ in drug.interactants}
    if any(lv.substances for lv in levels):  # "- avec la nimodipine", "les autres"
        named = [
            lv for lv in levels if not lv.substances or present & set(lv.substances)
        ]
        levels = named or levels[-1:]  # none named: the last level, "les autres"
    if any(lv.doses for lv in levels):
        aspirin = _holding(ASPIRIN, x, y)
        category = aspirin_dose(aspirin) if aspirin else None
        if category:
            kept = [lv for lv in levels if not lv.doses or category in lv.doses]
            met = bool(kept)
            levels = kept or levels
            dose_said = aspirin.dose or {}
            said = f"{dose_said.get('mg_per_day') or dose_said.get('mg'):g} mg"
            whys.append(
                f"acide acétylsalicylique {said}: dose {_DOSE_NAMES[category]}."
            )
        else:
            whys.append(
                "Dose d'acide acétylsalicylique non lue: niveau le plus sévère retenu."
            )
    if rule.route_of and any(lv.routes for lv in levels):
        holder = _holding(rule.route_of, x, y)
        route = {"buccal": "oral"}.get(holder.route, holder.route) if holder else None
        kept = [lv for lv in levels if not lv.routes or route in lv.routes]
        if route is None:
            whys.append(
                f"Voie de {rule.route_of} non lue: niveau le plus sévère retenu."
            )
        elif holder.route_doubt:
            whys.append(
                f"Voie de {rule.route_of} incertaine: niveau le plus sévère retenu."
            )
        elif kept:
            levels = kept
            whys.append(f"{rule.route_of} par voie {holder.route}.")
    level = min(levels, key=lambda lv: level_rank(lv.level))
    dose = {"text": dose_text(rule, level), "met": met} if level.doses else None
    return level, " ".join(whys) or None, dose


def _holding(key: str, x: Drug, y: Drug) -> Drug | None:
    """The drug that interacts through `key` (a substance or class), if one does."""
    for drug in (x, y):
        if any(key == s or key in keys for s, keys in drug.interactants):
            return drug
    return None


def aspirin_dose(drug: Drug) -> str | None:
    """The thesaurus's aspirin dose range of a line: one intake a day unless said."""
    if not drug.dose or "mg" not in drug.dose:
        return None
    per_intake = drug.dose["mg"]
    per_day = drug.dose.get("mg_per_day") or per_intake
    if per_intake >= 1000 or per_day >= 3000:
        return "anti-inflammatoire"
    if per_intake >= 500:
        return "antalgique"
    if 50 <= per_day <= 375:
        return "antiagregant"
    return None


__all__ = ["LEVELS", "Check", "Interaction", "check", "interaction"]
