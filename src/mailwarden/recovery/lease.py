"""One restore at a time into a target mailbox.

Two restores into the same account at once would each find a message missing and both append it: the
idempotence check is only as good as the assumption that nobody else appends the same messages meanwhile. The
restore holds the lease ``restore:mailbox:<id>`` for its run, renewed while it works. A restore killed with
-9 cannot release it; ``dead`` (the sync's test for a holder process that is gone from this machine, passed in
by the command) lets the next run take it over at once instead of waiting out the lifetime.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from mailwarden.core.errors import ConflictError
from mailwarden.db import lease
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox

__all__ = ["LEASE_TTL", "target_lease"]

LEASE_TTL = timedelta(seconds=90)
log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def target_lease(
    db: Database, target: Mailbox, holder: str, dead: Callable[[str], bool]
) -> AsyncIterator[None]:
    """Hold the target's restore lease for the block; the block is cancelled if the lease is lost."""

    def busy(current: str | None) -> ConflictError:
        return ConflictError("recovery.busy", name=target.name, holder=current or "?")

    async with lease.held(db, f"restore:mailbox:{target.id}", holder, LEASE_TTL, dead=dead, busy=busy):
        yield
