"""`entrepot link`: data from outside the hospital linked to its patients."""

from __future__ import annotations

import typer

from entrepot.cli import _link_data

app = typer.Typer(help="Link data from outside: open data, research databases.")
for command in (_link_data.area, _link_data.study, _link_data.grant):
    app.command()(command)
