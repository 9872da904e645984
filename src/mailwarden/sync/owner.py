"""Who owns a mailbox's sync: the lease's name, its lifetime, and the holder's identity.

Kept apart from :mod:`.service` (which takes and renews the lease through SQLAlchemy) because the quick
no-change check (:mod:`.quick`) takes the same lease with plain ``sqlite3`` and must not import SQLAlchemy.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

__all__ = ["LEASE_TTL", "dead_here", "holder_id", "lease_name"]

LEASE_TTL = timedelta(seconds=90)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_name(mailbox_id: int) -> str:
    return f"sync:mailbox:{mailbox_id}"


def dead_here(holder: str) -> bool:
    """Whether ``holder`` (see :func:`holder_id`) was a process on this machine that no longer exists.

    A killed sync (kill -9, OOM) cannot release its lease; waiting out the TTL would delay the restart for
    nothing when we can see the process is gone. A reused PID only makes us wait: the safe direction.
    """
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
