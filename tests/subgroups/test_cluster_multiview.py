"""Multi-view clustering: one objective per view (NSGA-II), the Pareto front
and the partition chosen from it; views read from YAML."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import adjusted_rand_score

from entrepot.cli import main
from entrepot.errors import InputFileError, ParameterError
from entrepot.subgroups import cluster, feature_matrix
from entrepot.subgroups._multiview import RULE, read_views

from .test_cluster import labelled

WINE_VIEWS = """\
alcohol and acids: [alcohol, malic_acid, ash, alcalinity_of_ash, magnesium]
phenols: [total_phenols, flavanoids, nonflavanoid_phenols, proanthocyanins]
colour: [color_intensity, hue, od280/od315_of_diluted_wines, proline]
"""


def test_wine_in_three_views(tmp_path):
    m, truth = labelled("wine")
    (tmp_path / "views.yaml").write_text(WINE_VIEWS)
    views = read_views(tmp_path / "views.yaml", m)
    found = cluster(m, "mvmc", 3, views=views, resamples=3)
    assert found.k == 3
    assert adjusted_rand_score(truth, found.labels) >= 0.75
    pareto = found.as_dict()["pareto"]
    assert pareto["rule"] == RULE and pareto["views"] == views
    front = pareto["front"]
    assert len(front) >= 2 and sum(p["chosen"] for p in front) == 1
    for p in front:
        assert list(p["objectives"]) == list(views) == list(p["weights"])
        assert sum(p["weights"].values()) == pytest.approx(1, abs=1e-3)
    # a front: no point is better than another on every view
    points = np.array([list(p["objectives"].values()) for p in front])
    for a in points:
        assert not any((b <= a).all() and (b < a).any() for b in points)
    assert len(found.stability) == 3


def test_a_view_that_holds_the_groups_and_one_that_is_noise():
    """The groups live in one view, the other is uniform noise: the rule
    picks from the front a partition that finds them."""
    rng = np.random.default_rng(0)
    group = np.arange(300) % 3
    table = pa.table(
        {
            "id": range(300),
            "a": rng.normal(group * 10, 1),
            "b": rng.normal(group * 10, 1),
            "u": rng.random(300),
            "v": rng.random(300),
        }
    )
    views = {"signal": ["a", "b"], "noise": ["u", "v"]}
    found = cluster(feature_matrix(table), "mvmc", 3, views=views, resamples=3)
    assert adjusted_rand_score(group, found.labels) >= 0.9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[a, b]", "a mapping of at least two views to columns"),
        ("one: [alcohol]", "a mapping of at least two views to columns"),
        ("one: [alcohol]\ntwo: []", "view 'two': a list of feature columns"),
        ("one: [alcohol]\ntwo: [wings]", "view 'two': no feature column wings"),
        ("one: [alcohol\n", "not YAML"),
    ],
)
def test_views_files_that_cannot_be_read(tmp_path, text, message):
    m, _ = labelled("wine")
    (tmp_path / "v.yaml").write_text(text)
    with pytest.raises(InputFileError, match=message):
        read_views(tmp_path / "v.yaml", m)


def test_mvmc_needs_views():
    m, _ = labelled("iris")
    with pytest.raises(ParameterError, match="give the views"):
        cluster(m, "mvmc", 3)


def test_the_cli_returns_the_front(capsys, tmp_path):
    m, _ = labelled("wine")
    data = {"person_id": m.ids.tolist()}
    data |= {c: m.numbers[:, j] for j, c in enumerate(m.numeric)}
    pq.write_table(pa.table(data), tmp_path / "wine.parquet")
    (tmp_path / "views.yaml").write_text(WINE_VIEWS)
    args = ["cluster", str(tmp_path / "wine.parquet"), "--method", "mvmc"]
    args += ["--k", "3", "--views", str(tmp_path / "views.yaml")]
    assert main([*args, "--resamples", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["method"], result["k"], result["n"]) == ("mvmc", 3, 178)
    assert result["pareto"]["rule"] == RULE
    assert main(args[:-2]) == 2
    assert (
        "--method mvmc: give the views (--views VIEWS.yaml)" in capsys.readouterr().err
    )
