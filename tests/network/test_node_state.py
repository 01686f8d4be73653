"""A node's state (the hubs it trusts, the studies they sent) is the
warehouse's own bookkeeping: created with it, read like its other tables,
re-keyed with them, and kept by a backup."""

from __future__ import annotations

import pytest

from entrepot.network import issue_token, list_studies, receive_study
from entrepot.operations import backup, restore
from entrepot.privacy import Decision, SecretKey, check_key, rotate_key
from entrepot.warehouse import Warehouse

KEY = SecretKey(bytes.fromhex("2a" * 32))
NEW = SecretKey(bytes.fromhex("51" * 32))
STUDY = {
    "name": "diabetes count",
    "cohort": {
        "name": "Diabetes",
        "concept_sets": {"d": {"items": [{"vocabulary": "CIM10", "code": "E11"}]}},
        "entry": {"events": [{"condition": {"concept_set": "d"}}]},
    },
    "analysis": "count",
    "parameters": {},
    "study_id": "a1b2",
}


@pytest.fixture
def node(tmp_path):
    """A warehouse pseudonymised under KEY (empty: rotation reads every
    table whatever it holds) that issued a hub's token and received its study."""
    path = tmp_path / "node.duckdb"
    with Warehouse.create(path, vocabulary=False) as wh:
        check_key(wh, KEY)
        issue_token(wh, "central", "ada")
        receive_study(wh, "central", STUDY)
    return path


def test_a_new_warehouse_has_the_network_tables(tmp_path):
    with Warehouse.create(tmp_path / "w.duckdb", vocabulary=False) as wh:
        assert {"network_hub", "network_study"} <= set(wh.tables("entrepot"))
        assert wh.count("network_study") == 0


def test_a_nodes_studies_survive_key_rotation_and_a_backup(node, tmp_path):
    """Rotating the pseudonyms' key reads every table of entrepot's schema:
    the node's state among them (it stopped on it: 'table network_hub is not
    in warehouse'); a backup restored elsewhere keeps the node's studies."""
    with Warehouse.open(node) as wh:
        assert wh.table("network_study").study_id.to_pyarrow().to_pylist() == ["a1b2"]
        rotate_key(wh, KEY, NEW, {})
        assert [(s["id"], s["status"]) for s in list_studies(wh)] == [
            ("a1b2", "pending")
        ]
        backup(wh, tmp_path / "backup")
    target = tmp_path / "restored.duckdb"
    restore(tmp_path / "backup", str(target), lambda wh: Decision.unscoped(wh))
    with Warehouse.open(target) as wh:
        assert [(s["id"], s["name"]) for s in list_studies(wh)] == [
            ("a1b2", "diabetes count")
        ]
        assert wh.count("network_hub") == 1
