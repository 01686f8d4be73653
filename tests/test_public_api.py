"""The front door: every public name resolves, and importing entrepot stays light."""

import subprocess
import sys

import entrepot


def test_every_public_name_resolves():
    for name in entrepot.__all__:
        assert getattr(entrepot, name) is not None, name


def test_import_is_light():
    code = "import sys, entrepot; print(sorted(m for m in ('ibis', 'pyspark', 'duckdb') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
