"""The audit package's errors (the tree is in :mod:`mailwarden.core.errors`).

StorageError
└── AuditError          the chain's head could not be advanced (a bug or a hand-edited head row)
"""

from __future__ import annotations

from mailwarden.core.errors import StorageError

__all__ = ["AuditError"]


class AuditError(StorageError):
    default_key = "audit.append_failed"
    permanent = True
