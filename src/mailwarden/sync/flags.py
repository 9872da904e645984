"""Which flags the archive keeps for a message."""

from __future__ import annotations

__all__ = ["IGNORED_FLAGS", "archived_flags"]

IGNORED_FLAGS = frozenset({"\\Recent"})  # session-bound: not a property of the message


def archived_flags(flags: frozenset[str] | None) -> list[str]:
    """The message's flags as the archive stores them: sorted, without session-bound ones."""
    return sorted((flags or frozenset()) - IGNORED_FLAGS)
