"""The README's promise on options, checked on every command of the CLI."""

import re
from pathlib import Path

import pytest
import typer.main

from entrepot.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"
#: Commands that read their input from arguments, stdin or a file, not a warehouse.
WITHOUT_WAREHOUSE = {
    "deid",
    "nlp extract",
    "extract evaluate",
    "drugs check",
    "drugs load-thesaurus",
    "privacy kanon",
    "hub serve",
    "hub add-node",
    "hub run",
    "hub result",
    "model report",
    "course list",
}


def _commands(group, path=()) -> dict[str, object]:
    found = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= _commands(command, (*path, name))
        if not hasattr(command, "commands") or command.invoke_without_command:
            found[" ".join((*path, name))] = command
    return found


COMMANDS = _commands(typer.main.get_command(app))


def _options(command) -> set[str]:
    return {o for p in command.params for o in getattr(p, "opts", ())}


def test_every_command_is_checked():
    assert len(COMMANDS) == 95 and WITHOUT_WAREHOUSE <= COMMANDS.keys()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_takes_json_and_quiet(name):
    options = _options(COMMANDS[name])
    assert {"--json", "--quiet", "-q"} <= options
    assert ("--warehouse" in options) == (name not in WITHOUT_WAREHOUSE)


def test_the_readme_says_which_commands_take_no_warehouse():
    section = README.read_text().split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    promise = " ".join(section.split("\n\n", 2)[0].split())
    assert "Every command takes `--json`" in promise
    named = set(re.findall(r"`entrepot ([a-z -]+)`", promise))
    assert named == WITHOUT_WAREHOUSE
