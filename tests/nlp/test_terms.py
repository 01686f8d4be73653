"""Terminologies: the disk cache of the bundled matcher, the user's YAML."""

from __future__ import annotations

import pickle

import pytest

from entrepot.errors import TerminologyError
from entrepot.nlp import Pipeline, build_matcher, bundled_matcher, cache_dir


def test_bundled_matcher_is_cached_on_disk(matcher_cache):
    bundled_matcher()
    assert cache_dir() == matcher_cache
    (cached,) = matcher_cache.glob("matcher-*.pickle")
    with cached.open("rb") as f:
        matcher = pickle.load(f)
    assert len(matcher) == len(build_matcher()) > 50_000
    assert matcher.phrases[("sclerodermie",)][0].concept_code == "CIM10:M34"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- a list\n", "expected a mapping"),
        ("DRUG: a string\n", "-> DRUG: expected a label with a list of terms"),
        ("DRUG: [[nested]]\n", "-> DRUG: \\['nested'\\] is not a term"),
        ("DRUG: [unclosed\n", "cannot read terms"),
    ],
)
def test_bad_user_terms_name_the_file_and_label(tmp_path, content, message):
    path = tmp_path / "terms.yaml"
    path.write_text(content)
    with pytest.raises(TerminologyError, match=f"terms.yaml: .*{message}"):
        Pipeline(path, bundled=False)


def test_curated_codes_are_in_the_bundled_vocabulary(hospital_file):
    from importlib.resources import files

    import yaml

    from entrepot.warehouse import Warehouse

    with Warehouse.open(hospital_file, read_only=True) as wh:
        c = wh.table("concept")
        known = {
            (r["vocabulary_id"], r["concept_code"])
            for r in c.select("vocabulary_id", "concept_code").to_pyarrow().to_pylist()
        }
    for name, vocabulary in (
        ("diseases", "CIM10"),
        ("adjectives", "CIM10"),
        ("drugs", "ATC"),
        ("labs", "LOINC"),
    ):
        text = files("entrepot.data.nlp").joinpath(f"{name}.yaml").read_text()
        codes = [str(code) for code in yaml.safe_load(text)]
        assert [code for code in codes if (vocabulary, code) not in known] == [], name
