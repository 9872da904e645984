"""Audit events for exports and restores: one per command run, success or failure, saying who took which
messages where (decision 0010).

The restore ledger is committed in batches while the restore runs (so that a crash loses at most a batch,
decision 0009); the event is written once the run ends, with the counts the ledger now holds, in its own
transaction. A run that fails is recorded too, with the error: an attempt to take mail out is as much the
auditor's business as a success.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mailwarden.audit.service import record
from mailwarden.core.errors import MailwardenError
from mailwarden.db.engine import Database
from mailwarden.recovery.selection import Selection

__all__ = ["record_run", "selection_dict"]


def selection_dict(selection: Selection) -> dict[str, Any]:
    """Every filter of the selection, whatever filters it grows (a search query, ...)."""
    found: dict[str, Any] = {}
    for spec in dataclasses.fields(selection):
        value = getattr(selection, spec.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        found[spec.name] = value
    return found


async def record_run(
    db: Database,
    actor: str,
    action: str,
    target: str,
    *,
    mailboxes: Sequence[str],
    selection: Selection,
    result: Mapping[str, Any] | None = None,
    error: MailwardenError | None = None,
) -> None:
    """``archive.export`` or ``archive.restore``: what was chosen, what came of it."""
    detail: dict[str, Any] = {
        "mailboxes": list(mailboxes),
        "selection": selection_dict(selection),
        "outcome": "failed" if error is not None else "ok",
        "result": dict(result or {}),
    }
    if error is not None:
        detail["error"] = {"kind": error.kind, "message": str(error)}
    async with db.session() as session, session.begin():
        await record(session, actor=actor, action=action, target=target, detail=detail)
