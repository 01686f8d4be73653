"""Keyed pseudonyms: HMAC-SHA-256 of an identifier under the secret key.

A plain hash of a 10-digit IPP can be reversed by hashing every number; an
HMAC cannot without the key. The same key gives the same pseudonyms across
loads; integer ids for OMOP keys are the first 62 bits of the same digest.
"""

from __future__ import annotations

from entrepot.privacy._keys import SecretKey

_ID_BITS = 62  # positive int64, and room to spare for engines' signed arithmetic


def pseudonym(key: SecretKey, kind: str, value: str) -> str:
    """The pseudonym of an identifier (`kind` is 'ipp', 'nda'...): 32 hex digits."""
    return key.digest(f"{kind}:{value.strip()}".encode()).hex()[:32]


def pseudonym_id(key: SecretKey, kind: str, value: str) -> int:
    """The same pseudonym as a positive 62-bit integer, for an OMOP id column."""
    digest = key.digest(f"{kind}:{value.strip()}".encode())
    return int.from_bytes(digest[:8], "big") >> (64 - _ID_BITS)


def person_id(key: SecretKey, ipp: str) -> int:
    """The OMOP person_id of a patient number (IPP)."""
    return pseudonym_id(key, "ipp", ipp)


def visit_id(key: SecretKey, nda: str) -> int:
    """The OMOP visit_occurrence_id of a stay number (NDA)."""
    return pseudonym_id(key, "nda", nda)
