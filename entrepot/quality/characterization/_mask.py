"""Small counts: shown as "<10" so that no small group of patients stands out.

The rule is a plain function `int -> int | str`; the default is the privacy
module's, with the warehouse's threshold (`entrepot privacy mask-below N`).
"""

from __future__ import annotations

from collections.abc import Callable

Mask = Callable[[int], "int | str"]


def is_masked(value) -> bool:
    return isinstance(value, str) and value.startswith("<")
