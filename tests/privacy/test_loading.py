"""Loading OMOP files honours the opt-out registry (a rule of entrepot.privacy,
which the loaders call), and so does the quarantine; drugs get ATC."""

import ast
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv

import entrepot
from entrepot.ingest import load_directory, read_extract
from entrepot.privacy import optout_add, person_id
from entrepot.warehouse import Warehouse
from tests.privacy.conftest import KEY


def _measurements(pid: int, first_id: int, date: str = "2021-01-02") -> pa.Table:
    return pa.table(
        {
            "measurement_id": [first_id, first_id + 1],
            "person_id": [pid, pid],
            "measurement_concept_id": [0, 0],
            "measurement_date": [date, "not a date"],
            "measurement_type_concept_id": [0, 0],
        }
    )


def _load(wh, folder: Path, tables: dict[str, pa.Table]):
    """Write the tables as CSV files, then load them as `entrepot load` does."""
    folder.mkdir()
    for name, rows in tables.items():
        pv.write_csv(rows, folder / f"{name}.csv")
    return load_directory(wh, folder)


def test_load_skips_opted_out_patients_and_quarantine_forgets_them(
    hospital, ingested_on, tmp_path
):
    wh = ingested_on
    ipps = read_extract(hospital / "raw" / "patients.csv")["ipp"].to_pylist()
    gone, kept = person_id(KEY, ipps[0]), person_id(KEY, ipps[1])
    _load(wh, tmp_path / "a", {"measurement": _measurements(gone, 1)})
    assert "not a date" in str(wh.table("quarantine").to_pyarrow().to_pylist())
    optout_add(wh, KEY, [ipps[0]])
    assert wh.count("quarantine") == 0
    person = pa.table(
        {
            "person_id": [gone],
            "gender_concept_id": [0],
            "year_of_birth": [1950],
            "race_concept_id": [0],
            "ethnicity_concept_id": [0],
        }
    )
    result = _load(
        wh, tmp_path / "b", {"person": person, "measurement": _measurements(gone, 10)}
    )
    assert result.loaded == {"person": 0, "measurement": 0}
    assert wh.count("quarantine") == 0
    result = _load(wh, tmp_path / "c", {"measurement": _measurements(kept, 20)})
    assert result.loaded["measurement"] == 1 and result.quarantined["measurement"] == 1


def test_drug_labels_are_mapped_to_atc_like_the_reference(hospital, ingested_on):
    with Warehouse.open(hospital / "synth.duckdb", read_only=True) as ref:
        expected = Counter(
            ref.table("drug_exposure").drug_concept_id.to_pyarrow().to_pylist()
        )
    got = Counter(
        ingested_on.table("drug_exposure").drug_concept_id.to_pyarrow().to_pylist()
    )
    # ENTRESTO and PREVISCAN are not in the drug lexicon yet (6% of lines here)
    assert got[0] <= 0.1 * sum(got.values())
    assert sum((got & expected).values()) >= 0.9 * sum(expected.values())


def test_only_the_privacy_package_knows_the_opt_out_registry():
    """The loaders call entrepot.privacy's rule: neither the warehouse's loader
    nor ingestion reads the registry itself (the warehouse only declares it)."""
    root = Path(entrepot.__file__).parent
    modules = [
        p
        for folder in ("warehouse", "ingest")
        for p in sorted((root / folder).rglob("*.py"))
        if p.name != "_warehouse.py"
    ]
    readers = [
        str(p.relative_to(root))
        for p in modules
        for node in ast.walk(ast.parse(p.read_text()))
        if (isinstance(node, ast.Constant) and node.value == "optout")
        or (isinstance(node, ast.alias) and node.name == "opted_out")
    ]
    assert readers == []
