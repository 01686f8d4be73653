"""What the pixel side finds, stored and linked: a slide's tiles
(`slide_tile`), a model's slide score (a `measurement` row pointed to by an
MI-CDM `image_feature` row) and its heatmap (`slide_heatmap`)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from entrepot.errors import NotFoundError, OutputPathError
from entrepot.slides._registry import registry_table

#: OMOP's field concept of measurement.measurement_id: an image feature's
#: value lives in the measurement it names (as MI-CDM does). Not in the
#: bundled vocabulary, so unchecked here.
MEASUREMENT_FIELD = 1147330
#: Type concept of a value worked out by an algorithm ("Standard algorithm").
ALGORITHM = 32880
TILE_COLUMNS = ("level", "x", "y", "size", "tissue_fraction")


def store_tiles(wh, slide_id: int, tiles: pa.Table) -> dict:
    """Replace a slide's tiles (from `tile_slide`, its mpp, size and extent
    kept in columns): `{"tiles", "with_tissue"}`."""
    schema = registry_table(wh, "slide_tile").schema().to_pyarrow()
    meta = tiles.schema.metadata
    n = tiles.num_rows
    asked = {"mpp": float(meta[b"mpp"]), "side": int(meta[b"size"]),
             "extent": int(meta[b"extent"]), "image_occurrence_id": slide_id}  # fmt: skip
    columns = [
        tiles.column(f.name) if f.name in TILE_COLUMNS else pa.repeat(asked[f.name], n)
        for f in schema
    ]
    rows = pa.Table.from_arrays(columns, names=schema.names).cast(schema)
    with wh.store.transaction() as tx:
        tx.delete("entrepot", "slide_tile", {"image_occurrence_id": slide_id})
        tx.append("entrepot", "slide_tile", wh.store.from_arrow(rows))
    fractions = tiles.column("tissue_fraction").to_pylist()
    return {"tiles": n, "with_tissue": sum(1 for f in fractions if f and f > 0)}


def _next(table: ir.Table, column: str) -> int:
    top = table[column].max().to_pyarrow().as_py()
    return int(top or 0) + 1


def _grid(heatmap) -> list[list[float | None]]:
    return [
        [None if v is None or math.isnan(v) else round(float(v), 4) for v in row]
        for row in heatmap.tolist()
    ]


def store_inference(
    wh, found: dict, score: float, heatmap, model: str, cell: int
) -> dict:
    """A model's slide score and heatmap (`cell` level-0 pixels a side per
    value), stored and linked to the slide: `{"image_feature_id",
    "measurement_id", "score", "heatmap": [rows, columns]}`."""
    from entrepot.warehouse.cdm import cdm_table

    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    features = registry_table(wh, "image_feature")
    feature_id = _next(features, "image_feature_id")
    measurement_id = _next(wh.table("measurement"), "measurement_id")
    day = datetime.fromisoformat(found["date"]).date()
    measurement = {
        "measurement_id": measurement_id,
        "person_id": found["person_id"],
        "measurement_concept_id": 0,
        "measurement_date": day,
        "measurement_type_concept_id": ALGORITHM,
        "value_as_number": float(score),
        "measurement_source_value": f"slide score: {model}"[:50],
    }
    feature = {
        "image_feature_id": feature_id,
        "person_id": found["person_id"],
        "image_occurrence_id": found["slide_id"],
        "image_feature_event_field_concept_id": MEASUREMENT_FIELD,
        "image_feature_event_id": measurement_id,
        "image_feature_concept_id": 0,
        "image_feature_type_concept_id": ALGORITHM,
        "alg_system": model,
        "alg_datetime": now,
    }
    grid = _grid(heatmap)
    stored = {
        "image_feature_id": feature_id,
        "image_occurrence_id": found["slide_id"],
        "cell": cell,
        "rows": len(grid),
        "columns": len(grid[0]) if grid else 0,
        "scores": json.dumps(grid),
    }
    rows = {
        ("cdm", "measurement"): (measurement, cdm_table("measurement").arrow_schema),
        ("entrepot", "image_feature"): (feature, features.schema().to_pyarrow()),
        ("entrepot", "slide_heatmap"): (
            stored,
            registry_table(wh, "slide_heatmap").schema().to_pyarrow(),
        ),
    }
    with wh.store.transaction() as tx:
        for (schema, name), (row, columns) in rows.items():
            data = pa.Table.from_pylist([row], schema=columns)
            tx.append(schema, name, wh.store.from_arrow(data))
    return {
        "image_feature_id": feature_id,
        "measurement_id": measurement_id,
        "score": float(score),
        "heatmap": [stored["rows"], stored["columns"]],
    }


def heatmap_of(wh, slide_id: int) -> dict | None:
    """The latest heatmap of a slide (`{"cell", "rows", "columns", "scores"}`,
    scores as rows of values or None), or None."""
    if not wh.has_table("slide_heatmap"):
        return None
    t = wh.table("slide_heatmap")
    t = t.filter(t.image_occurrence_id == slide_id).order_by(
        ibis.desc("image_feature_id")
    )
    rows = t.limit(1).to_pyarrow().to_pylist()
    if not rows:
        return None
    found = {k: rows[0][k] for k in ("cell", "rows", "columns")}
    return found | {"scores": json.loads(rows[0]["scores"])}


def tiles_of(wh, slide_id: int) -> pa.Table:
    """A slide's stored tiles with tissue, as `tile_slide` gave them (its
    metadata back); none stored is an error that says how to make them."""
    t = registry_table(wh, "slide_tile")
    t = t.filter((t.image_occurrence_id == slide_id) & (t.tissue_fraction > 0))
    rows = t.order_by(["y", "x"]).to_pyarrow()
    if rows.num_rows == 0:
        raise NotFoundError(
            f"slide {slide_id} has no tiles with tissue: run "
            f"`entrepot slides tile {slide_id}` first"
        )
    first = rows.slice(0, 1).to_pylist()[0]
    meta = {"mpp": str(first["mpp"]), "size": str(first["side"]),
            "extent": str(first["extent"])}  # fmt: skip
    return rows.select(list(TILE_COLUMNS)).replace_schema_metadata(meta)


def write_mask(mask, path: Path) -> None:
    """A tissue mask as a PNG: 255 where tissue, 0 elsewhere."""
    from PIL import Image

    path = Path(path)
    if not path.parent.is_dir():
        raise OutputPathError(f"{path.parent}: no such folder to write {path.name} in")
    Image.fromarray(np.where(np.asarray(mask) > 0, 255, 0).astype(np.uint8)).save(
        path, "PNG"
    )
