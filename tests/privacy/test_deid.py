import json
import re
import subprocess
import sys
from datetime import date

import pytest

from entrepot.privacy.deid import DeidConfig, Identity, deidentify, find_identifiers

PATIENT = Identity.from_record(
    {
        "first_name": "Annie",
        "last_name": "Renaud",
        "mother_last_name": "Gautier",
        "birth_date": "1941-04-17",
        "phone": "07 31 36 71 41",
        "street": "118 rue Saint-Martin",
        "city": "Versailles",
        "ipp": "6308871522",
    }
)


def tagged(text: str, identity: Identity | None = None) -> str:
    return deidentify(text, identity).text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Nom : Renaud - Prénom : Annie", "Nom : [NOM] - Prénom : [PRENOM]"),
        ("DDN : 17/04/1941", "DDN : [DATE_NAISSANCE]"),
        ("Tél. : 06 40 59 22 54", "Tél. : [TEL]"),
        ("Courriel : a.b@orange.fr", "Courriel : [MAIL]"),
        ("N° SS : 241047864676452", "N° SS : [NSS]"),
        ("IPP 3654435761 - NDA 224444444432", "IPP [IPP] - NDA [NDA]"),
        ("118 rue Saint-Martin, 78000 Versailles", "[ADRESSE], [ZIP] [VILLE]"),
        ("Hôpital Louise-Michel", "[HOPITAL]"),
        ("Dr Gilles VINCENT", "Dr [PRENOM] [NOM]"),
        ("GUILLAUME Mathieu - Chambre 4", "[NOM] [PRENOM] - Chambre 4"),
        ("Mme Da Silva, 69 ans", "Mme [NOM], 69 ans"),
        ("du 17 mars 2011 au 22/03/2011", "du [DATE] au [DATE]"),
        (
            "Hospitalisée en 2012 pour un sepsis.",
            "Hospitalisée en [DATE] pour un sepsis.",
        ),
    ],
)
def test_identifiers_are_removed(text, expected):
    assert tagged(text) == expected


def test_the_patients_own_identity_is_found_even_misspelt():
    text = "Vue avec sa mère Mme Gautier. Annie Renaux rappellera au 0731367141."
    assert tagged(text, PATIENT) == (
        "Vue avec sa mère Mme [NOM]. [PRENOM] [NOM] rappellera au [TEL]."
    )


def test_nir_needs_its_key():
    assert find_identifiers("valeur 241047864676452")[0]["label"] == "NSS"
    assert not any(s["label"] == "NSS" for s in find_identifiers("lot 241047864676453"))


@pytest.mark.parametrize(
    "medical",
    [
        "DOLIPRANE 1000 mg, comprimé : 3000 mg par jour",
        "Hémoglobine 13,5 g/dL ; Plaquettes 269 G/L ; CRP 1,3 mg/L ; DFG 59,0 mL/min",
        "ENOXAPARINE 4000 UI/0,4 mL, solution injectable : 10000 UI par jour",
        "Constantes : TA 98/79 mmHg, FC 85 /min, T 36,9 °C, SpO2 97 %.",
        "Sepsis sur pneumopathie. Maladie de Crohn, lupus, insuffisance cardiaque.",
        "IRM CÉRÉBRALE : hypersignaux FLAIR de la substance blanche, aspécifiques.",
    ],
)
def test_medical_content_is_kept(medical):
    assert tagged(medical) == medical


def test_surrogates_and_shifted_dates():
    result = deidentify(
        "M. Renaud vu le 22/03/2011.", None, DeidConfig("surrogate", shift_days=10)
    )
    assert "Renaud" not in result.text and "01/04/2011" in result.text
    assert re.match(r"M\. [A-Z][a-zé]+ vu", result.text)


LETTER = (
    "Mme Annie RENAUD, née le 17/04/1941, 118 rue Saint-Martin, 78000 Versailles. "
    "Tél. : 06.40.59.22.54 - a.renaud@orange.fr - N° SS : 241047864676452 - "
    "IPP 3654435761 - NDA 224444444432. Hôpital Louise-Michel, entrée le "
    "3 mars 2011, sortie le 22/03/2011. Revue le 22/03/2011."
)


def test_surrogates_replace_every_label_with_a_fake_value():
    """No tag is left: each label gets a plausible value that points at no one."""
    spans = find_identifiers(LETTER)
    assert {s["label"] for s in spans} >= {
        "PRENOM", "NOM", "DATE_NAISSANCE", "ADRESSE", "ZIP", "VILLE", "TEL",
        "MAIL", "NSS", "IPP", "NDA", "HOPITAL", "DATE",
    }  # fmt: skip
    text = deidentify(LETTER, None, DeidConfig("surrogate")).text
    assert "[" not in text
    for original in ("RENAUD", "Saint-Martin", "Versailles", "59 22 54", "orange.fr",
                     "241047864676452", "3654435761", "224444444432", "Louise-Michel"):  # fmt: skip
        assert original not in text
    assert re.search(r"Tél\. : 01\.99\.00\.\d\d\.\d\d", text)  # ARCEP's fiction range
    assert re.search(r"@example\.org", text)
    nir = re.search(r"N° SS : (\d{13}) (\d\d)", text)
    assert 97 - int(nir[1]) % 97 == int(nir[2])  # a well-formed NIR
    # one shift for the whole text: the stay still lasts 19 days, in the same words
    months = "janvier février mars avril mai juin juillet août septembre octobre"
    entry = re.search(r"entrée le (\d+) (\w+) (\d{4})", text)
    entered = date(int(entry[3]), months.split().index(entry[2]) + 1, int(entry[1]))
    left = re.findall(r"(?:sortie|Revue) le (\d\d)/(\d\d)/(\d{4})", text)
    assert left[0] == left[1]
    assert (date(*map(int, reversed(left[0]))) - entered).days == 19
    assert entered != date(2011, 3, 3)


def test_deid_command_reads_and_writes_json_lines():
    lines = [
        {"id": 1, "text": "Patient : M. Julien Thomas, tél 01 49 86 29 19"},
        {"id": 2, "text": "Vu Mme Renaud.", "patient": {"last_name": "Renaud"}},
    ]
    done = subprocess.run(
        [sys.executable, "-m", "entrepot", "deid", "--json"],
        input="\n".join(json.dumps(x) for x in lines),
        capture_output=True,
        text=True,
        check=True,
    )
    out = [json.loads(x) for x in done.stdout.splitlines()]
    assert out[0]["text"] == "Patient : M. [PRENOM] [NOM], tél [TEL]"
    assert out[0]["spans"][0] == {"start": 13, "end": 19, "label": "PRENOM"}
    assert out[1] == {
        "id": 2,
        "text": "Vu Mme [NOM].",
        "spans": [{"start": 7, "end": 13, "label": "NOM"}],
    }


def test_notes_of_the_ingested_warehouse_hold_no_gold_identifier(hospital, ingested):
    from entrepot.warehouse import Warehouse

    with Warehouse.open(hospital / "synth.duckdb", read_only=True) as ref:
        a = ref.table("note_annotation")
        gold = a.filter(a.kind == "identifier").text.to_pyarrow().to_pylist()
    text = "\n".join(ingested.table("note").note_text.to_pyarrow().to_pylist())
    long = {g for g in gold if len(g) >= 6 and not g.isdigit() or len(g) >= 10}
    left = [g for g in long if re.search(rf"(?<!\w){re.escape(g)}(?!\w)", text)]
    assert left == []
