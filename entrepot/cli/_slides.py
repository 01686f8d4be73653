"""`entrepot slides`: whole-slide images registered, their tissue found and
tiled, models run on them. Data-engineering work: each command needs the
right to ingest, and what it registers or stores is audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    open_warehouse,
    stdout,
)

app = typer.Typer(help="Whole-slide images: register, find tissue, tile, run models.")
SlideId = Annotated[int, typer.Argument(help="A registered slide's id.", min=1)]


def _day(text: str | None) -> date | None:
    from entrepot.errors import ParameterError

    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ParameterError(f"--date {text!r}: not a date (YYYY-MM-DD)") from None


def _print_slides(slides: list[dict]) -> None:
    for s in slides:
        stdout.print(
            f"slide {s['slide_id']}: {s['width']:,} x {s['height']:,} px, "
            f"{s['levels']} levels, {s['mpp'] or '?'} µm/px"
        )


@app.command("add")
def add(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Slide files (a DICOM WSI: its folder; an MRXS: its .mrxs file, "
            "its data folder beside it)."
        ),
    ],
    specimen: Annotated[
        int | None, typer.Option("--specimen", help="The specimen's id.")
    ] = None,
    person: Annotated[
        int | None, typer.Option("--person", help="The person's id.")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="With --person: the day (YYYY-MM-DD).")
    ] = None,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Register slides of one specimen (or one person and day): copied under
    opaque names into the warehouse's slide folder, all or none, audited."""
    from entrepot.slides import add as add_slides

    day = _day(on)
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "slides add")
        found = add_slides(
            wh, decision, files, specimen_id=specimen, person_id=person, day=day
        )
    emit({"slides": found}, json, lambda: quiet or _print_slides(found))


@app.command("scan")
def scan(
    folder: Annotated[Path, typer.Argument(help="A folder of slides.")],
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="CSV: file (inside FOLDER), and specimen_id or person_id and "
            "date [default: FOLDER/manifest.csv].",
            show_default=False,
        ),
    ] = None,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Register a folder's slides listed in its manifest, incrementally: only
    files whose checksum is not registered yet."""
    from entrepot.slides import scan as scan_folder

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "slides scan")
        found = scan_folder(wh, decision, folder, manifest)

    def human() -> None:
        _print_slides(found["slides"])
        stdout.print(
            f"{found['registered']} registered, {found['unchanged']} unchanged, "
            f"{found['unlisted']} slide files not in the manifest."
        )

    emit(found, json, lambda: quiet or human())


@app.command("tissue")
def tissue(
    slide_id: SlideId,
    mask_out: Annotated[
        Path | None,
        typer.Option(
            "--mask-out", help="Write the tissue mask here (PNG, non-zero: tissue)."
        ),
    ] = None,
    downsample: Annotated[
        int, typer.Option("--downsample", min=1, help="Of level 0, for the mask.")
    ] = 32,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Find a slide's tissue on a low-resolution level."""
    from entrepot.slides import detect_tissue, open_slide, slide_of, write_mask

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "slides tissue")
        found = slide_of(wh, decision, slide_id)
        with open_slide(found["path"]) as slide:
            mask = detect_tissue(slide, downsample=downsample)
        result = {
            "tissue_fraction": round(float(mask.tissue_fraction), 4),
            "downsample": int(mask.downsample)
            if float(mask.downsample).is_integer()
            else mask.downsample,
            "mask_size": [int(mask.mask.shape[1]), int(mask.mask.shape[0])],
        }
        if mask_out is not None:
            write_mask(mask.mask, mask_out)
        decision.released(
            wh, "slides.tissue", {"slide": slide_id} | result, rows=1, persons=1
        )
    emit(
        result,
        json,
        lambda: (
            quiet
            or stdout.print(f"slide {slide_id}: {result['tissue_fraction']:.1%} tissue")
        ),
    )


@app.command("tile")
def tile(
    slide_id: SlideId,
    mpp: Annotated[
        float,
        typer.Option("--mpp", min=0.01, help="Micrometres per pixel of the tiles."),
    ] = 0.5,
    size: Annotated[
        int, typer.Option("--size", min=16, help="Tile side, pixels.")
    ] = 256,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Tile a slide at a magnification, each tile with its tissue fraction,
    stored in `slide_tile` (replacing the slide's tiles)."""
    from entrepot.slides import (
        detect_tissue,
        open_slide,
        slide_of,
        store_tiles,
        tile_slide,
    )

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "slides tile")
        found = slide_of(wh, decision, slide_id)
        with open_slide(found["path"]) as slide:
            tiles = tile_slide(slide, detect_tissue(slide), mpp=mpp, size=size)
        result = store_tiles(wh, slide_id, tiles)
        asked = {"slide": slide_id, "mpp": mpp, "size": size}
        decision.released(wh, "slides.tile", asked, rows=result["tiles"], persons=1)
    emit(
        result,
        json,
        lambda: (
            quiet
            or stdout.print(
                f"{result['tiles']:,} tiles, {result['with_tissue']:,} with tissue"
            )
        ),
    )


@app.command("infer")
def infer(
    slide_id: SlideId,
    model: Annotated[Path, typer.Option("--model", help="An ONNX model.")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 64,
    normalise: Annotated[
        bool,
        typer.Option("--normalise", help="Stain-normalise each tile (Macenko) first."),
    ] = False,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run an ONNX model on a slide's stored tiles: its slide score and
    heatmap stored in image_feature (the score in measurement)."""
    from entrepot.slides import (
        open_slide,
        run_model,
        slide_of,
        store_inference,
        tiles_of,
    )

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "slides infer")
        found = slide_of(wh, decision, slide_id)
        tiles = tiles_of(wh, slide_id)
        with open_slide(found["path"]) as slide:
            done = run_model(
                slide, tiles, model, batch_size=batch_size, normalise=normalise
            )
        cell = int(tiles.schema.metadata[b"extent"])
        result = store_inference(wh, found, done.score, done.heatmap, done.model, cell)
        result = {"slide_id": slide_id, "model": done.model} | result
        asked = result | {"normalised": normalise}
        decision.released(wh, "slides.infer", asked, rows=1, persons=1)
    emit(
        result,
        json,
        lambda: quiet or stdout.print(f"slide {slide_id}: score {result['score']:.3f}"),
    )
