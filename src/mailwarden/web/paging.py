"""Offset pagination with a ``next`` link, the way list endpoints answer."""

from __future__ import annotations

from typing import Any

from fastapi import Request

__all__ = ["page_links"]


def page_links(request: Request, total: int, limit: int, offset: int) -> dict[str, Any]:
    following = offset + limit
    next_url = (
        str(request.url.include_query_params(offset=following, limit=limit)) if following < total else None
    )
    return {"total": total, "limit": limit, "offset": offset, "next": next_url}
