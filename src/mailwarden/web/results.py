"""Service results as JSON-ready dicts: their own ``as_dict()`` where they have one, else their fields."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["out"]


def out(result: Any) -> dict[str, Any]:
    if hasattr(result, "as_dict"):
        return dict(result.as_dict())
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    raise TypeError(f"no JSON shape for {type(result).__name__}")
