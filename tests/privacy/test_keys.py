import hashlib
import os

import pytest

from entrepot.errors import KeyFileError
from entrepot.privacy import (
    SecretKey,
    load_key,
    person_id,
    pseudonym,
    read_key_file,
    shift_days,
)

SECRET = "8f" * 16 + "3c" * 16


def test_key_file_readable_by_owner_only(key_file):
    assert read_key_file(key_file).fingerprint == load_key(key_file).fingerprint


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_with_loose_permissions_is_refused(key_file, mode):
    os.chmod(key_file, mode)
    with pytest.raises(KeyFileError, match="chmod 600") as e:
        read_key_file(key_file)
    assert SECRET not in str(e.value)


def test_key_from_environment_and_missing_key():
    key = load_key(environ={"ENTREPOT_KEY": SECRET})
    assert key.fingerprint == SecretKey(bytes.fromhex(SECRET)).fingerprint
    with pytest.raises(KeyFileError, match="no pseudonymisation key"):
        load_key(environ={})
    with pytest.raises(KeyFileError, match="too short") as e:
        load_key(environ={"ENTREPOT_KEY": "abc123"})
    assert "abc123" not in str(e.value)


def test_the_key_never_shows_in_text():
    key = SecretKey(bytes.fromhex(SECRET))
    for text in (repr(key), str(key), f"{key}"):
        assert SECRET not in text and "8f8f" not in text
    with pytest.raises(TypeError):
        __import__("pickle").dumps(key)


def test_pseudonyms_are_keyed_stable_and_not_a_plain_hash():
    a, b = SecretKey(b"a" * 32), SecretKey(b"b" * 32)
    assert pseudonym(a, "ipp", "3654435761") == pseudonym(a, "ipp", " 3654435761 ")
    assert pseudonym(a, "ipp", "3654435761") != pseudonym(b, "ipp", "3654435761")
    plain = hashlib.sha256(b"3654435761").hexdigest()
    assert pseudonym(a, "ipp", "3654435761") not in plain
    ids = {person_id(a, f"{n:010d}") for n in range(5000)}
    assert len(ids) == 5000 and all(0 < i < 2**62 for i in ids)


def test_date_shifts_are_secret_bounded_and_never_zero():
    a, b = SecretKey(b"a" * 32), SecretKey(b"b" * 32)
    shifts = [shift_days(a, f"{n:010d}") for n in range(2000)]
    assert all(-365 <= s <= 365 and s != 0 for s in shifts)
    assert len(set(shifts)) > 300
    assert shifts[:50] != [shift_days(b, f"{n:010d}") for n in range(50)]
