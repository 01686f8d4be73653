"""The README is executable: its Python blocks run, and its commands are the ones CI runs."""

import contextlib
import io
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_python_blocks_run_and_print_what_they_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for code in blocks("python"):
        expected = [
            m.group(1).split(":")[0].strip()
            for m in re.finditer(r"print\(.*\)\s+# (.*)", code)
        ]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
        assert out.getvalue().split() == expected


def test_quick_start_has_two_commands_that_install_the_lock_and_ci_runs_both():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick, flags=re.S)
    assert len(commands) == 2
    demo, tests = commands
    assert "pip install -c constraints.txt -e '.[nlp]'" in demo
    assert demo.endswith(" && entrepot demo")
    assert "pip install -c constraints.txt -e '.[dev]'" in tests
    assert tests.endswith(" && python -m pytest -q")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_command 'entrepot demo'" in ci  # the smoke job installs as written
    assert ci.strip().endswith('eval "$tests"')  # then the README's test command


def _locked() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pins = [line.split("==") for line in lines if "==" in line]
    return {canonicalize_name(name): version for name, version in pins}


def test_every_range_admits_the_locked_version_and_the_tests_run_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    locked = _locked()
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        if name == "entrepot":
            continue
        assert name in locked, f"{name} is not locked"
        assert requirement.specifier.contains(locked[name]), requirement
        assert metadata.version(name) == locked[name], f"{name} is not the locked one"


def test_files_the_readme_names_are_in_the_repository():
    linked = re.findall(r"\]\((?!https?:)([^)#]+)\)", README)
    named = ["DESIGN.md", "constraints.txt", "entrepot/synth/RAW_FORMAT.md"]
    missing = [p for p in linked + named if not (ROOT / p).exists()]
    assert linked and not missing


def test_every_file_the_package_reads_is_shipped_with_it():
    """A non-editable install ships only what package-data names: templates,
    scripts and message catalogues too, not only entrepot/data."""
    from fnmatch import fnmatch

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-data"]["entrepot"]
    package = ROOT / "entrepot"
    unshipped = [
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and "__pycache__" not in path.parts
        and not any(
            fnmatch(str(path.relative_to(package)), p.replace("**/", "*"))
            for p in patterns
        )
    ]
    assert unshipped == []
