"""Audit events for exports and restores: one per command run, success or failure, saying who took which
messages where (decision 0010).

The restore ledger is committed in batches while the restore runs (so that a crash loses at most a batch,
decision 0009); the event is written once the run ends, with the counts the ledger now holds, in its own
transaction. A run that fails is recorded too, with the error: an attempt to take mail out is as much the
auditor's business as a success.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mailwarden.audit.service import record
from mailwarden.core.errors import MailwardenError
from mailwarden.db.engine import Database
from mailwarden.recovery.selection import Selection

__all__ = ["record_run", "selection_dict"]


def selection_dict(selection: Selection) -> dict[str, Any]:
    return {
        "folders": list(selection.folders),
        "since": selection.since.isoformat() if selection.since else None,
        "before": selection.before.isoformat() if selection.before else None,
        "message_ids": list(selection.message_ids),
        "include_gone": selection.include_gone,
    }


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
