"""The mailbox's Sent folder: finding it, asking it for a Message-ID, filing our copy of a reply in it.

The product never writes to a source mailbox unless a user asked; an agent sending a reply *is* that
request, and a copy in Sent is part of sending mail (every mail client does it; Chatwoot not doing it is
its issue #7606). Nothing else is written: no flags changed, nothing moved or deleted.

Which folder: the one the server marks ``\\Sent`` (RFC 6154 SPECIAL-USE); else ``[inbox.replies]
sent_folder`` when set; else the first of the usual names, compared case-insensitively on the last part of
the path (:data:`SENT_NAMES`: English clients, Apple Mail, Outlook/Exchange, Gmail, QQ/NetEase/Aliyun).
None of them: a :class:`ConfigError` saying so — filing in a folder we guessed would hide the copy.

Before filing, the folder is searched for the reply's Message-ID: Gmail, Microsoft 365 and QQ Mail put a
copy of submitted mail in Sent themselves, and a second copy from us would show twice; and a reply whose
first attempt was cut off may have been filed already. The same search answers "was this reply sent?"
for a reply left in doubt (see :mod:`.outgoing`).
"""

from __future__ import annotations

from datetime import datetime

from mailwarden.core.errors import ConfigError
from mailwarden.imap.client import IMAPClient
from mailwarden.imap.commands import Raw
from mailwarden.imap.folders import Folder

__all__ = ["SENT_NAMES", "choose_sent", "file_copy", "find_sent", "holds"]

SENT_NAMES = (
    "sent",
    "sent messages",
    "sent items",
    "sent mail",
    "已发送",
    "已发送邮件",
    "已傳送",
    "gesendet",
    "gesendete objekte",
    "éléments envoyés",
    "envoyés",
    "enviados",
)


def choose_sent(folders: list[Folder], configured: str | None = None) -> Folder | None:
    """The Sent folder among ``folders`` (see the module docstring for the order), or None."""
    usable = [f for f in folders if f.selectable]
    marked = [f for f in usable if f.special_use == "\\Sent"]
    if marked:
        return marked[0]
    if configured:
        return next((f for f in usable if f.name == configured), None)
    by_name = {f.parts[-1].strip().casefold(): f for f in reversed(usable)}
    return next((by_name[name] for name in SENT_NAMES if name in by_name), None)


async def find_sent(client: IMAPClient, configured: str | None = None) -> Folder:
    """The Sent folder of the logged-in mailbox; ``ConfigError`` when there is none we can be sure of."""
    folders = await client.list_folders(with_status=False)
    found = choose_sent(folders, configured)
    if found is None:
        raise ConfigError(
            "inbox.reply.no_sent_folder", configured=configured or "-", names=", ".join(SENT_NAMES[:5])
        )
    return found


async def holds(client: IMAPClient, folder: Folder, message_id: str) -> bool:
    """Whether ``folder`` has a message with this Message-ID (without angle brackets)."""
    await client.examine(folder)
    found = await client.uid_search([Raw(b"HEADER"), Raw(b"Message-ID"), f"<{message_id}>"])
    client.take_events()
    return bool(found)


async def file_copy(client: IMAPClient, folder: Folder, raw: bytes, at: datetime) -> None:
    """APPEND ``raw`` to ``folder``, read (``\\Seen``), with the internal date of when it was sent."""
    await client.append(folder, raw, ["\\Seen"], at)
    client.take_events()
