"""The chain's encoding: the exact bytes an event's hash covers, the same on SQLite and PostgreSQL.

``hash = sha256(prev_hash + "\\n" + canonical)`` where ``canonical`` is the event's fields as JSON with
sorted keys, no spaces, UTF-8 (``ensure_ascii=False``: Chinese targets stay readable and are still one
encoding), and the time as UTC ISO 8601 with exactly six decimals and a ``Z``. Six, because both engines keep
microseconds: a time truncated by the database would give other bytes on the way back. ``detail`` is hashed
as it comes back from a JSON column — after one round trip through JSON — so a tuple, which is stored as a
list, hashes the same before and after.

The first event of a chain has ``prev_hash`` :data:`GENESIS`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["GENESIS", "canonical", "event_hash", "normalize_detail", "utc_text"]

#: the ``prev_hash`` of a chain's first event
GENESIS = "0" * 64


def utc_text(moment: datetime) -> str:
    """``2026-11-27T12:51:13.000000Z``: fixed precision, always UTC."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime in an audit event")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat, not strftime: a third of the time, and the year always four digits
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def normalize_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``detail`` as a JSON column gives it back (tuples become lists, keys become strings)."""
    # not sorted here: keys of mixed types (1 and "a") cannot be sorted until they are all strings
    loaded: dict[str, Any] = json.loads(json.dumps(dict(detail or {}), ensure_ascii=False, allow_nan=False))
    return loaded


def canonical(
    *, chain: str, seq: int, at: datetime, actor: str, action: str, target: str, detail: Mapping[str, Any]
) -> bytes:
    fields = {
        "chain": chain,
        "seq": seq,
        "at": utc_text(at),
        "actor": actor,
        "action": action,
        "target": target,
        "detail": detail,
    }
    return _dumps(fields).encode("utf-8")


def event_hash(prev_hash: str, encoded: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("utf-8") + b"\n" + encoded).hexdigest()
