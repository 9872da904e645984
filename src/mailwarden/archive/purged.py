"""What the search index (and any other derived copy of the archive) must drop after a retention purge.

A purged row keeps its metadata (the seals cover it, and the archive still says the message existed) but its
content is gone: derived copies filter on ``Message.purged_at IS NULL`` when they build, and drop the rows
this function names when they update.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.models import Message

__all__ = ["purged_row_ids"]


async def purged_row_ids(session: AsyncSession, since: datetime | None = None) -> list[int]:
    """Ids of rows purged after ``since`` (all purged rows when None), in id order."""
    query = select(Message.id).where(Message.purged_at.is_not(None)).order_by(Message.id)
    if since is not None:
        query = query.where(Message.purged_at > since)
    return list(await session.scalars(query))
