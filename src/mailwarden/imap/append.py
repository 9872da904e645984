"""APPEND (RFC 3501 6.3.11): put a message into a folder -- a sent reply into Sent, a restore, a drill.

* The message always goes as a literal, even when it is short enough to quote: the grammar wants one.
  With LITERAL+ it follows the command without waiting for ``+`` (one round trip less per message).
* With UIDPLUS the server says where the message landed (``[APPENDUID uidvalidity uid]``), so the archive can
  record it at once instead of finding it again by Message-ID.
* The message is read into memory: APPEND is for single messages (replies, restores), and literals from a
  file would need the encoder to stream. A NUL byte cannot be sent in a plain literal; such a message is
  refused (it would need BINARY's ``~{n}``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mailwarden.core.errors import InputError
from mailwarden.imap.commands import Argument, AsLiteral, Raw
from mailwarden.imap.folders import Folder, folder_argument
from mailwarden.imap.items import as_int, format_internal_date
from mailwarden.imap.session import Session

__all__ = ["AppendUID", "append"]

#: an atom (no SP, CTL, parentheses, braces, wildcards, quotes or "]"), optionally after a system flag's "\\"
_FLAG = re.compile(r'\\?[^\x00-\x20\x7f-\uffff(){%*"\\\]]+')


@dataclass(frozen=True, slots=True)
class AppendUID:
    """Where an appended message landed (UIDPLUS, RFC 4315)."""

    uidvalidity: int
    uid: int


async def append(
    session: Session,
    folder: str | Folder,
    message: bytes | Path,
    *,
    flags: Iterable[str] = (),
    internal_date: datetime | None = None,
) -> AppendUID | None:
    """Append ``message`` (bytes, or a file to read) to ``folder``; its UID when the server has UIDPLUS."""
    session.ready("APPEND")
    data = await asyncio.to_thread(message.read_bytes) if isinstance(message, Path) else bytes(message)
    if not data:
        raise InputError("imap.argument", detail="an empty message cannot be appended")
    args: list[Argument] = [folder_argument(folder)]
    flag_list = list(flags)
    for flag in flag_list:
        if not flag.isascii() or not _FLAG.fullmatch(flag) or flag.lower() == "\\recent":
            raise InputError("imap.argument", detail=f"not a flag that can be set: {flag!r}")
    if flag_list:
        args.append([Raw(flag.encode("ascii")) for flag in flag_list])
    if internal_date is not None:
        try:
            args.append(format_internal_date(internal_date))
        except ValueError as exc:
            raise InputError("imap.argument", detail=str(exc)) from None
    args.append(AsLiteral(data))
    result = await session.connection.execute("APPEND", *args)
    code = result.tagged.code
    if code is None or code.name != "APPENDUID" or len(code.args) != 2:
        return None
    try:
        return AppendUID(as_int(code.args[0], "UIDVALIDITY"), as_int(code.args[1], "UID"))
    except ValueError as exc:
        session.bad_data("APPEND", exc)
