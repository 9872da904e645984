"""The demo's IMAP server: pymap's in-memory ("dict") backend served in this process over implicit TLS.

pymap speaks real IMAP4rev1 with IDLE, UIDPLUS, MOVE and MULTIAPPEND, but not CONDSTORE, QRESYNC, QUOTA,
ENABLE or SPECIAL-USE: the sync engine's fallbacks (full flag fetch, UID comparison) and the Sent folder's
search by name run for real, which is why it was chosen over a second Dovecot (decision 0020).

Mail goes in through :meth:`MailStore.deliver` (the submission server's delivery) and :meth:`seed` — the
same append a client's APPEND would make — and is read back by the tour through :meth:`messages`.
pymap's internals are used (the dict backend's ``Login.users_dict`` and ``Config.set_cache``): the
dependency is pinned to the version this was written against.
"""

from __future__ import annotations

import asyncio
from argparse import Namespace
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from proxyprotocol.reader import ProxyProtocolReader
from proxyprotocol.version import ProxyProtocolVersion
from pymap.backend.dict import Config, Login
from pymap.backend.dict.mailbox import MailboxData, MailboxSet
from pymap.imap import IMAPServer
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials import FetchRequirement, ObjectId
from pymap.parsing.specials.flag import Flag
from pymap.user import Passwords, UserMetadata
from pysasl.hashing import BuiltinHash

from mailwarden.demo.tls import DemoCerts

__all__ = ["FolderImage", "MailStore", "StoredMessage"]


@dataclass
class StoredMessage:
    uid: int
    when: datetime
    flags: list[str]
    raw: bytes


@dataclass
class FolderImage:
    name: str
    uid_validity: int
    mailbox_id: str
    next_uid: int
    messages: list[StoredMessage] = field(default_factory=list)


class MailStore:
    """Users (by address), their folders and messages, and the IMAP listener in front of them."""

    def __init__(self, certs: DemoCerts, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._certs = certs
        self._config = Config(
            Namespace(passlib_cfg=None, proxy_protocol=None, inherited_sockets=None),
            host=host,
            port=0,
            demo_data=False,
            demo_user="",
            demo_password="",
            ssl_context=certs.server_context(),
            tls_enabled=False,  # implicit TLS: the socket is encrypted before the greeting
            hash_context=BuiltinHash(),
            invalid_user_sleep=0.3,
            reject_dnsbl=False,
            bad_command_limit=None,
        )
        self._login = Login(self._config)
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    # -- accounts and folders ---------------------------------------------------------------------
    async def add_user(self, address: str, password: str) -> None:
        hashed = await Passwords(self._config).hash_password(password)
        self._login.users_dict[address] = UserMetadata(self._config, address, password=hashed)

    def has_user(self, address: str) -> bool:
        return address in self._login.users_dict

    def _folders(self, address: str) -> MailboxSet:
        cached = self._config.set_cache.get(address)
        if cached is None:
            from pymap.backend.dict.filter import FilterSet

            cached = (MailboxSet(), FilterSet())
            self._config.set_cache[address] = cached
        return cached[0]

    async def folder(self, address: str, name: str) -> MailboxData:
        """The folder ``name`` of ``address``, created (with its parents) if missing."""
        folders = self._folders(address)
        names = {entry.name for entry in (await folders.list_mailboxes()).list() if entry.exists}
        if name != "INBOX" and name not in names:
            parts = name.split(folders.delimiter)
            for depth in range(1, len(parts) + 1):
                path = folders.delimiter.join(parts[:depth])
                if path not in names:
                    await folders.add_mailbox(path)
                    names.add(path)
        return await folders.get_mailbox(name)

    # -- mail ---------------------------------------------------------------------------------------
    async def seed(
        self, address: str, folder: str, raw: bytes, when: datetime, flags: Iterable[str] = ()
    ) -> None:
        """One message into ``folder`` as an APPEND with that date and those flags would put it."""
        box = await self.folder(address, folder)
        message = AppendMessage(raw, when.astimezone(UTC), frozenset(Flag(f) for f in flags))
        await box.append(message, recent=not flags)

    async def deliver(self, address: str, raw: bytes, when: datetime | None = None) -> None:
        """Final delivery into ``address``'s INBOX (unread, \\Recent), as an MTA's local delivery would."""
        await self.seed(address, "INBOX", raw, when or datetime.now(UTC))

    async def messages(self, address: str, folder: str = "INBOX") -> list[bytes]:
        """The raw messages of a folder, oldest first (the tour's view of what arrived)."""
        if not self.has_user(address):
            return []
        box = await self.folder(address, folder)
        found: list[bytes] = []
        async for message in box.messages():
            content = await message.load_content(FetchRequirement.CONTENT)
            if content is not None:
                found.append(bytes(content.content))
        return found

    # -- images, for a demo that continues after a restart (mailwarden.demo.snapshot) -------------------
    def users(self) -> list[str]:
        """Every address with an account or with mail."""
        return sorted(set(self._login.users_dict) | set(self._config.set_cache))

    async def folder_names(self, address: str) -> list[str]:
        entries = (await self._folders(address).list_mailboxes()).list()
        return ["INBOX", *sorted(e.name for e in entries if e.exists and e.name != "INBOX")]

    async def export_folder(self, address: str, name: str) -> FolderImage:
        box = await self.folder(address, name)
        image = FolderImage(name, box.uid_validity, box.mailbox_id.value.decode(), box._max_uid + 1)
        async for message in box.messages():
            content = await message.load_content(FetchRequirement.CONTENT)
            raw = bytes(content.content) if content is not None else b""
            flags = sorted(flag.value.decode() for flag in message.permanent_flags)
            image.messages.append(StoredMessage(message.uid, message.internal_date, flags, raw))
        return image

    async def import_folder(self, address: str, image: FolderImage) -> None:
        """The folder exactly as exported: same MAILBOXID, UIDVALIDITY, UIDs and UIDNEXT, so a client's
        copy of it (our archive) is still valid."""
        box = await self.folder(address, image.name)
        box._mailbox_id = ObjectId(image.mailbox_id.encode())
        box._uid_validity = image.uid_validity
        for stored in sorted(image.messages, key=lambda m: m.uid):
            box._max_uid = stored.uid - 1  # append() takes the next UID: this one
            flags = frozenset(Flag(f.encode()) for f in stored.flags)
            await box.append(AppendMessage(stored.raw, stored.when, flags))
        box._max_uid = max(box._max_uid, image.next_uid - 1)

    # -- the listener -------------------------------------------------------------------------------
    async def start(self, port: int = 0) -> int:
        self._config.apply_context()
        server = IMAPServer(self._login, self._config)
        callback = ProxyProtocolReader(ProxyProtocolVersion.get(None)).get_callback(server)

        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._clients.add(writer)
            try:
                await callback(reader, writer)
            finally:
                self._clients.discard(writer)

        self._server = await asyncio.start_server(
            tracked, host=self.host, port=port, ssl=self._certs.server_context()
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):  # IDLE sessions would keep wait_closed() waiting
                writer.close()
            await self._server.wait_closed()
            self._server = None
