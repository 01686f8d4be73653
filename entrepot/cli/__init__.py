"""The `entrepot` command: thin wrappers over the library."""

from __future__ import annotations

import sys

import typer

from entrepot.cli import (
    _cluster,
    _cohort,
    _course,
    _datathon,
    _demo,
    _drugs,
    _extract,
    _features,
    _link,
    _model,
    _model_report,
    _network,
    _nlp,
    _operations,
    _patients,
    _privacy,
    _profiles,
    _pv,
    _quality,
    _slides,
    _synth,
    _vocab,
    _warehouse,
    _web,
)
from entrepot.errors import EntrepotError

app = typer.Typer(
    name="entrepot",
    help="entrepot: a health data warehouse (OMOP CDM) for hospitals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for command in (
    _demo.demo,
    _warehouse.init,
    _warehouse.load,
    _warehouse.validate,
    _warehouse.eras,
    _warehouse.tables,
    _warehouse.export,
    _synth.synth,
    _quality.quality,
    _quality.describe,
    _features.features,
    _cluster.cluster,
    _profiles.profiles,
    _web.serve,
    _operations.backup,
    _operations.restore,
    _operations.upgrade,
):
    app.command()(command)
app.add_typer(_vocab.app, name="vocab")
app.add_typer(_drugs.app, name="drugs")
app.add_typer(_pv.app, name="pv")
_privacy.register(app)
app.add_typer(_cohort.app, name="cohort")
app.add_typer(_extract.app, name="extract")
app.add_typer(_patients.app, name="patients")
app.add_typer(_link.app, name="link")
app.add_typer(_slides.app, name="slides")
_model_report.register(_model.app)
app.add_typer(_model.app, name="model")
_nlp.register(app)
app.add_typer(_network.node_app, name="node")
app.add_typer(_network.hub_app, name="hub")
app.add_typer(_datathon.app, name="datathon")
app.add_typer(_course.app, name="course")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and exit status 2."""
    try:
        app(args=argv, prog_name="entrepot")
    except EntrepotError as e:
        print(f"entrepot: error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:  # typer ends every run this way, usage errors with 2
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
