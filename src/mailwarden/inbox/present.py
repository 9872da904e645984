"""Conversations as plain dicts: the one JSON shape of ``inbox list|show --json`` and the REST API."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mailwarden.inbox.service import ConversationSummary, ConversationView

__all__ = ["summary_dict", "view_dict"]


def summary_dict(summary: ConversationSummary) -> dict[str, Any]:
    return asdict(summary)


def view_dict(view: ConversationView) -> dict[str, Any]:
    return {
        **summary_dict(view.summary),
        "language": view.language,
        "token": view.token,
        "suggested_ids": view.suggested_ids,
        "merged_into_id": view.merged_into_id,
        "tags": view.tags,
        "contact": asdict(view.contact) if view.contact else None,
        "company": asdict(view.company) if view.company else None,
        "messages": [asdict(message) for message in view.messages],
    }
