"""Where a warehouse lives: a DuckDB file path or a `spark:` URI."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from entrepot.errors import WarehouseURIError

DEFAULT_WAREHOUSE = "entrepot.duckdb"
ENV_VARIABLE = "ENTREPOT_WAREHOUSE"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class WarehouseURI:
    """A parsed warehouse location."""

    engine: str  # "duckdb" or "spark"
    path: Path
    options: dict[str, str]

    def __str__(self) -> str:
        return str(self.path) if self.engine == "duckdb" else f"spark:{self.path}"


def resolve(uri: str | os.PathLike | None = None) -> WarehouseURI:
    """Parse a URI; without one, use $ENTREPOT_WAREHOUSE, then ./entrepot.duckdb.

    - `PATH.duckdb` (or `duckdb:PATH`): an embedded DuckDB file;
    - `spark:FOLDER[?master=local[4]]`: Parquet tables under FOLDER, on Spark
      (`?master=spark://host:7077`, `yarn`...: FOLDER is where every machine of
      the cluster sees the same shared folder).
    """
    text = os.fspath(uri) if uri is not None else os.environ.get(ENV_VARIABLE)
    text = text or DEFAULT_WAREHOUSE
    if text.startswith("spark:"):
        location, _, query = text[len("spark:") :].partition("?")
        location = location.removeprefix("//")
        if not location:
            raise WarehouseURIError(
                f"{text!r}: a spark: URI needs a folder, e.g. spark:./eds"
            )
        if scheme := _SCHEME.match(location):
            raise WarehouseURIError(
                f"{text!r}: Spark tables live in a folder that the driver and every "
                "executor see at the same path (a shared filesystem); "
                f"{scheme[1]}:// locations are not supported"
            )
        options = {k: v[-1] for k, v in parse_qs(query).items()}
        return WarehouseURI("spark", Path(location).expanduser(), options)
    location = text.removeprefix("duckdb:")
    if not location.endswith(".duckdb"):
        raise WarehouseURIError(
            f"{text!r}: a warehouse is a file ending in .duckdb or a spark:FOLDER URI"
        )
    return WarehouseURI("duckdb", Path(location).expanduser(), {})
