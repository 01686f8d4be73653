"""Small counts: shown as "<10" so that no small group of patients stands out.

The rule is a plain function `int -> int | str`, so that the privacy module
can give its own; `small_counts` is the default, with its threshold from the
setting `ENTREPOT_MASK_BELOW` (10 when unset).
"""

from __future__ import annotations

import os
from collections.abc import Callable

Mask = Callable[[int], "int | str"]
DEFAULT_MASK_BELOW = 10


def default_mask_below() -> int:
    """The setting: `ENTREPOT_MASK_BELOW`, else 10."""
    return int(os.environ.get("ENTREPOT_MASK_BELOW", DEFAULT_MASK_BELOW))


def small_counts(mask_below: int) -> Mask:
    """Counts from 1 to `mask_below - 1` become "<mask_below"; 0 stays 0."""

    def mask(n: int) -> int | str:
        return f"<{mask_below}" if 0 < n < mask_below else n

    return mask


def is_masked(value) -> bool:
    return isinstance(value, str) and value.startswith("<")
