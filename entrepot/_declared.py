"""Reading declared inputs (YAML files), shipped by name or given as a path.

One place for the one-line errors every declared file gets: a missing file,
malformed YAML with its line, a shipped name that does not exist, a field that
is not valid (with its path).
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from entrepot.errors import EntrepotError

Model = TypeVar("Model", bound=BaseModel)


def shipped_files(folder: Traversable) -> dict[str, Path]:
    """The YAML files of a data folder, by name (the file name without `.yaml`)."""
    return {
        Path(f.name).stem: Path(str(f))
        for f in folder.iterdir()
        if f.name.endswith(".yaml")
    }


def find_declared(
    name_or_path: str | Path, folder: Traversable, error: type[EntrepotError], what: str
) -> Path:
    """A file that exists, or the shipped file of that name in `folder`."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = shipped_files(folder)
    if str(name_or_path) not in shipped:
        raise error(
            f"{path}: no such file, nor a shipped {what} "
            f"(shipped: {', '.join(sorted(shipped))})"
        )
    return shipped[str(name_or_path)]


def read_yaml(
    path: Path, error: type[EntrepotError], malformed: str = "malformed YAML"
) -> object:
    """A YAML file parsed; unreadable or malformed gives one line naming where."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from e
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    return parse_yaml(text, str(path), error, malformed)


def parse_yaml(
    text: str,
    source: str,
    error: type[EntrepotError],
    malformed: str = "malformed YAML",
) -> object:
    """YAML text parsed; malformed gives one line naming the source and line:
    "SOURCE: MALFORMED at line N: problem" (`malformed`: what a caller's
    errors have always said)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise error(f"{source}: {malformed}{where}: {problem}") from None


def validated(
    model: type[Model], data: object, source: str, error: type[EntrepotError], what: str
) -> Model:
    """`data` (parsed YAML or JSON) as a `model`; one line naming `source` and
    the field when it is not valid (`what`: "a study", for "is a mapping")."""
    if not isinstance(data, dict):
        raise error(f"{source}: {what} is a mapping of fields")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise error(f"{source}: {describe_errors(e)}") from None


def describe_errors(error: ValidationError) -> str:
    """Pydantic's errors on one line, each with the path of its field."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(
            str(p) for p in item["loc"] if not str(p).startswith("function")
        )
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = len(error.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
