"""``archive index-status``: how far behind the archive the index is, and what it could not read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from mailwarden.archive.models import Message
from mailwarden.db.engine import Database
from mailwarden.search.store import IndexStore

__all__ = ["index_status"]


def _size(path: Any) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


async def index_status(db: Database, store: IndexStore) -> dict[str, Any]:
    """Raises ``NotFoundError`` when no index was built yet."""
    generation, index, state = store.open()
    async with db.session() as session:
        newest = await session.scalar(select(func.max(Message.id)))
        lag = await session.scalar(select(func.count()).where(Message.id > state.cursor))
    return {
        "generation": generation.name,
        "documents": index.searcher().num_docs,
        "cursor": state.cursor,
        "newest": int(newest or 0),
        "lag": int(lag or 0),
        "holes": len(state.holes),
        "problems": state.problem_count,
        "recent_problems": state.problems[-50:],
        "bytes": _size(generation),
        "built_at": state.built_at,
        "updated_at": state.updated_at,
    }
