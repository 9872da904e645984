"""Errors of replies (their place in the tree is drawn in ``core/errors.py``).

    ConflictError
    └── ReplyConflict     something happened in the conversation since the agent last looked: a newer
                          customer message, another agent's reply (sent or on its way). The agent confirms
                          (``confirm=True``) or reads first. Help Scout's "traffic cop".

A failed send is not an exception the caller sees: the reply stays in the queue, ``failed`` with the typed
error recorded (:class:`.models_reply.Outgoing` ``error``), visible and retryable by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mailwarden.core import i18n
from mailwarden.core.errors import ConflictError

__all__ = ["ReplyConflict"]


class ReplyConflict(ConflictError):
    """``news`` says what is new, each ``{"kind": "customer_message" | "agent_reply" | "reply_queued",
    "id", "at", "from", "agent"?, "subject"}``, oldest first."""

    default_key = "inbox.reply.conflict"

    def __init__(self, news: Sequence[dict[str, Any]], *, conversation: int) -> None:
        self.news = list(news)
        customers = sum(1 for each in self.news if each["kind"] == "customer_message")
        super().__init__(
            self.default_key, conversation=conversation, customer=customers, agents=len(self.news) - customers
        )

    def as_dict(self, lang: str = i18n.EN) -> dict[str, Any]:
        return {**super().as_dict(lang), "news": self.news}
