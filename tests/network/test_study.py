"""Study files, node tokens and CA files: validated at the hub, one line
naming the file (and the field)."""

from __future__ import annotations

import pytest

from entrepot.cli import main
from entrepot.errors import StudyError
from entrepot.network import load_study

COHORT = """\
name: Diabetes
concept_sets:
  d: {items: [{vocabulary: CIM10, code: E11, descendants: true}]}
entry:
  events: [{condition: {concept_set: d}}]
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "cohorts").mkdir()
    (tmp_path / "cohorts" / "diabetes.yaml").write_text(COHORT)
    return tmp_path


def test_the_hub_sends_the_cohorts_content_not_their_path(folder):
    study = folder / "study.yaml"
    outcome = folder / "cohorts" / "diabetes.yaml"
    study.write_text(
        "name: s\ncohort: cohorts/diabetes.yaml\nanalysis: km\n"
        f"parameters: {{outcome: {outcome}}}\n"  # absolute
    )
    sent = load_study(study)
    assert sent["cohort"]["name"] == "Diabetes"
    assert sent["parameters"]["outcome"]["entry"] == {
        "events": [{"condition": {"concept_set": "d"}}]
    }
    assert "cohorts/diabetes.yaml" not in str(sent)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: s\ncohort: cohorts/diabetes.yaml\nanalysis: fedavg\n",
         "parameters.outcome: fedavg needs an outcome cohort"),
        ("name: s\ncohort: cohorts/diabetes.yaml\nanalysis: fedavg\nparameters: "
         "{outcome: cohorts/diabetes.yaml, update_privacy: {clip: 0, "
         "noise_multiplier: 1}}\n",
         "parameters.update_privacy.clip: Input should be greater than 0"),
        ("name: s\ncohort: cohorts/diabetes.yaml\nanalysis: survival\n",
         "analysis: Input should be 'count', 'characterization', 'incidence', 'km', "
         "'logistic' or 'fedavg'"),
        ("name: s\ncohort: cohorts/diabetes.yaml\nanalysis: count\nparameter: {}\n",
         "parameter: Extra inputs are not permitted"),
        ("name: s\ncohort: cohorts/diabetes.yaml\nanalysis: logistic\n",
         "parameters.outcome: logistic needs an outcome cohort"),
        ("name: s\ncohort: cohorts/diabetes.yaml\nanalysis: logistic\n"
         "parameters: {outcome: cohorts/diabetes.yaml, privacy: {epsilon: 0}}\n",
         "parameters.privacy.epsilon: Input should be greater than 0"),
        ("name: s\ncohort: nowhere.yaml\nanalysis: count\n",
         "cohort: "),
    ],
)  # fmt: skip
def test_a_bad_study_is_one_line_naming_the_field(folder, text, message, capsys):
    study = folder / "study.yaml"
    study.write_text(text)
    with pytest.raises(StudyError, match="^" + str(study).replace(".", r"\.")) as e:
        load_study(study)
    assert message in str(e.value) and "\n" not in str(e.value)
    assert main(["hub", "run", str(study), "--state", str(folder / "hub")]) == 2
    assert capsys.readouterr().err == f"entrepot: error: {e.value}\n"


@pytest.mark.parametrize(
    ("token", "ca", "message"),
    [
        ("a token\n", None, "token: not a node token (it starts with entrepot-node-)"),
        ("entrepot-node-x\n", "not a certificate\n",
         "ca.pem: not a CA certificate (PEM) to check a node's HTTPS with: "
         "[X509: NO_CERTIFICATE_OR_CRL_FOUND]"),
    ],
)  # fmt: skip
def test_a_bad_token_or_ca_file_is_refused_when_a_node_is_added(
    tmp_path, token, ca, message, capsys
):
    (tmp_path / "token").write_text(token)
    args = ["hub", "add-node", "n", "https://127.0.0.1:1", "--token-file",
            str(tmp_path / "token"), "--state", str(tmp_path / "hub")]  # fmt: skip
    if ca is not None:
        (tmp_path / "ca.pem").write_text(ca)
        args += ["--ca", str(tmp_path / "ca.pem")]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"entrepot: error: {tmp_path}/{message}")
    assert error.count("\n") == 1
