"""The secret pseudonymisation key: read from a file or an environment variable.

The key is never written to the warehouse, a log or an error message: the
`SecretKey` object hides its bytes from `repr`/`str`, and only a one-way
fingerprint (to detect a load with the wrong key) may be stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from entrepot.errors import KeyFileError

#: Environment variable holding the key when no file is given.
KEY_ENV = "ENTREPOT_KEY"
#: Environment variable naming the key file.
KEY_FILE_ENV = "ENTREPOT_KEY_FILE"
MIN_KEY_BYTES = 32


class SecretKey:
    """A secret key for HMAC-SHA-256; its bytes never appear in text."""

    __slots__ = ("_bytes",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise KeyFileError(
                f"the key is too short: at least {MIN_KEY_BYTES} bytes are needed "
                "(make one with `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        self._bytes = secret

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA-256 of `message` under this key."""
        return hmac.new(self._bytes, message, hashlib.sha256).digest()

    @property
    def fingerprint(self) -> str:
        """A one-way id of the key (safe to store): tells keys apart, reveals nothing."""
        return self.digest(b"entrepot:key-fingerprint").hex()[:16]

    def __repr__(self) -> str:
        return f"SecretKey(fingerprint={self.fingerprint})"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a worker's or a file's bytes by accident
        raise TypeError("a SecretKey cannot be pickled")


def _from_text(text: str) -> bytes:
    """Hex text (64+ digits) as bytes, any other text as its UTF-8 bytes."""
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def read_key_file(path: str | os.PathLike) -> SecretKey:
    """The key of a file readable by its owner only (mode 600 or 400)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError as e:
        raise KeyFileError(f"key file {path}: cannot be read ({e.strerror})") from None
    if not stat.S_ISREG(mode):
        raise KeyFileError(f"key file {path}: not a regular file")
    if mode & 0o077:
        raise KeyFileError(
            f"key file {path}: permissions {stat.S_IMODE(mode):o} let others read it; "
            f"refused (run `chmod 600 {path}`)"
        )
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        raise KeyFileError(f"key file {path}: cannot be read") from None
    return SecretKey(_from_text(text))


def load_key(
    path: str | os.PathLike | None = None, environ: dict | None = None
) -> SecretKey:
    """The key from `path`, else `$ENTREPOT_KEY_FILE`, else `$ENTREPOT_KEY`."""
    environ = os.environ if environ is None else environ
    path = path or environ.get(KEY_FILE_ENV)
    if path:
        return read_key_file(path)
    if environ.get(KEY_ENV):
        return SecretKey(_from_text(environ[KEY_ENV]))
    raise KeyFileError(
        f"no pseudonymisation key: give --key-file, or set {KEY_FILE_ENV} or {KEY_ENV}"
    )
