"""A course folder: the course's hospital, its exercises in Markdown, and
the checking of a student's answer.

DIR/hospital.duckdb          the synthetic hospital (a fixed seed by default)
DIR/course.json              its seed and size, and the exercises' names
DIR/exercises/NN_NAME.md     one exercise each, in French

No answer is written anywhere: `check` works the expected one out from the
hospital each time.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path

from entrepot.course._exercises import EXERCISES, NUMBER, PERSONS, Exercise
from entrepot.errors import CourseError

SEED = 2026
PATIENTS = 300
MAX_BYTES = 1_000_000
_NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


@dataclass(frozen=True)
class Verdict:
    exercise: str
    correct: bool
    message: str
    hint: str | None  # when wrong

    def as_json(self) -> dict:
        return asdict(self)


def exercise(name: str) -> Exercise:
    """An exercise by its name; one line naming the known ones otherwise."""
    for e in EXERCISES:
        if e.name == name:
            return e
    known = ", ".join(e.name for e in EXERCISES)
    raise CourseError(f"exercise {ascii(name[:40])}: no such exercise ({known})")


def catalogue() -> list[dict]:
    """The exercises, in order: name, topic, title and the answer's form."""
    return [
        {"exercise": e.name, "topic": e.topic, "title": e.title, "answer": e.answer}
        for e in EXERCISES
    ]


def start_course(
    folder: str | Path,
    *,
    seed: int = SEED,
    patients: int = PATIENTS,
    workers: int = 2,
) -> dict:
    """Build the course's hospital and write its exercises in the new
    folder `folder`."""
    from entrepot.synth import generate_hospital

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise CourseError(f"{folder}: exists and is not empty")
    (folder / "exercises").mkdir(parents=True)
    generate_hospital(
        str(folder / "hospital.duckdb"), patients=patients, seed=seed, workers=workers
    )
    written = []
    for i, e in enumerate(EXERCISES, 1):
        path = folder / "exercises" / f"{i:02d}_{e.name}.md"
        path.write_text(_markdown(e, folder), encoding="utf-8")
        written.append({"exercise": e.name, "file": str(path)})
    about = {
        "seed": seed,
        "patients": patients,
        "exercises": [e.name for e in EXERCISES],
    }
    (folder / "course.json").write_text(json.dumps(about, indent=1) + "\n")
    return {"folder": str(folder), "hospital": str(folder / "hospital.duckdb")} | (
        about | {"exercises": written}
    )


def _markdown(e: Exercise, folder: Path) -> str:
    statement = (files("entrepot") / "data" / "course" / f"{e.name}.md").read_text(
        encoding="utf-8"
    )
    form = (
        "un seul nombre (la virgule ou le point pour les décimales)"
        if e.answer == NUMBER
        else "un `person_id` par ligne (un en-tête `person_id` est accepté)"
    )
    return (
        f"# {e.topic} : {e.title}\n\n{statement.strip()}\n\n## Répondre\n\n"
        f"Écrivez votre réponse dans un fichier texte : {form}. Puis :\n\n"
        f"```bash\nentrepot course check {folder} {e.name} reponse.txt\n```\n\n"
        "La vérification calcule la réponse attendue sur l'entrepôt du cours et "
        "dit si la vôtre est juste ; sinon, elle donne un indice.\n"
    )


def is_course(folder: Path) -> bool:
    return (folder / "course.json").is_file()


def read_answer(path: str | Path, form: str) -> float | set[int]:
    """A number, or a set of person_id, from the student's file (one line
    naming the file and the line when it is neither)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CourseError(f"{path.name}: larger than {MAX_BYTES:,} bytes")
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except OSError as e:
        raise CourseError(f"{path.name}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path.name}: not UTF-8 text") from None
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line]
    if form == NUMBER:
        if len(lines) != 1 or not _NUMBER.match(lines[0][1]):
            raise CourseError(f"{path.name}: the answer is one number, alone")
        return float(lines[0][1].replace(",", "."))
    if lines and lines[0][1] == "person_id":
        lines = lines[1:]
    ids = set()
    for n, line in lines:
        if not line.isascii() or not line.isdigit():
            raise CourseError(
                f"{path.name}, line {n}: {ascii(line[:40])} is not a person_id"
            )
        ids.add(int(line))
    return ids


def check_answer(wh, name: str, path: str | Path) -> Verdict:
    """Whether the answer in the file `path` to the exercise `name` is the
    one the course's hospital `wh` gives, with a hint when it is not."""
    e = exercise(name)
    given = read_answer(path, e.answer)
    expected = e.expected(wh)
    if e.answer == PERSONS:
        right = given == expected
        message = (
            "Juste."
            if right
            else f"Faux : {len(expected)} patients attendus ; votre liste en a "
            f"{len(given)}, dont {len(given - expected)} en trop et "
            f"{len(expected - given)} manquants."
        )
    else:
        right = math.isclose(given, expected, rel_tol=0, abs_tol=e.tolerance + 1e-9)
        shown = f"{given:g}".replace(".", ",")
        within = f" à {e.tolerance:g} près".replace(".", ",") if e.tolerance else ""
        message = (
            "Juste."
            if right
            else f"Faux : {shown} n'est pas la réponse attendue{within}."
        )
    return Verdict(e.name, right, message, None if right else e.hint)
