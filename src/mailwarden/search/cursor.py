"""How far the index has got, read from its files alone: for the quick no-change ``archive sync``, which
must not import tantivy or the database layer (see docs/decisions/0008)."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["indexed_up_to"]


def indexed_up_to(root: Path) -> int | None:
    """The current generation's cursor; None when there is no index, or it has holes to look for again
    (both mean: the index may be missing messages the archive has)."""
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
        state = json.loads((root / name / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("holes"):
        return None
    cursor = state.get("cursor")
    return cursor if isinstance(cursor, int) else None
