"""The demo's outside world: the mail host of ``demo.test`` (IMAP, SMTP, DNS on loopback), its users, and
the team's mail of the last 30 days in ``sales@demo.test``.

``info@demo.test`` exists on the server with a password the mailwarden side does not know: the
deliberately broken second mailbox, whose cause ``mailwarden diagnose --mailbox info`` names.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mailwarden.demo import corpus, snapshot
from mailwarden.demo.dns_server import ZoneServer, zone_text
from mailwarden.demo.imap_server import MailStore
from mailwarden.demo.registry import Registry
from mailwarden.demo.smtp_server import MailHost
from mailwarden.demo.tls import DemoCerts, make_certs

__all__ = ["INFO_ADDRESS", "World"]

INFO_ADDRESS = f"info@{corpus.DEMO_DOMAIN}"


@dataclass
class World:
    """The running servers and the accounts on them (passwords live in memory only)."""

    certs: DemoCerts
    store: MailStore
    host: MailHost
    dns: ZoneServer | None = None
    registry: Registry | None = None
    passwords: dict[str, str] = field(default_factory=dict)
    deliveries: list[str] = field(default_factory=list)

    @classmethod
    async def start(cls, folder: Path) -> World:
        # the servers' own chatter (every connection at INFO) would drown the demo's output; aiosmtpd 1.4
        # also warns about its own deprecated attribute after every AUTH
        for name in ("pymap", "proxyprotocol"):
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        certs = make_certs(folder / "tls")
        store = MailStore(certs)
        deliveries: list[str] = []
        host = MailHost(store, corpus.DEMO_DOMAIN, on_delivery=deliveries.append)
        world = cls(certs, store, host, deliveries=deliveries)
        await store.start()
        await world.host.start(ssl=certs.server_context())
        world.dns = ZoneServer(zone_text(corpus.DEMO_DOMAIN), corpus.DEMO_DOMAIN)
        await world.dns.start()
        world.registry = Registry({corpus.DEMO_DOMAIN})
        await world.registry.start()
        return world

    async def add_user(self, address: str) -> str:
        password = secrets.token_urlsafe(12)
        await self.host.add_user(address, password)
        self.passwords[address] = password
        return password

    async def set_password(self, address: str, password: str) -> None:
        await self.host.add_user(address, password)
        self.passwords[address] = password

    async def restore(self, folder: Path) -> int:
        """The previous run's mail (:mod:`.snapshot`); every account gets a new password except the one
        mailwarden holds (set by the stage). Returns the number of messages."""
        addresses, count = await snapshot.load(self.store, folder)
        for address in addresses:
            await self.add_user(address)
        return count

    async def populate(self, now: datetime) -> int:
        """The accounts (the shared mailboxes, each agent's own) and the seeded mail; returns its count."""
        for address in (corpus.SHARED_ADDRESS, INFO_ADDRESS, *(agent.email for agent in corpus.AGENTS)):
            await self.add_user(address)
        for name, _special in corpus.FOLDERS:
            await self.store.folder(corpus.SHARED_ADDRESS, name)
        messages = corpus.build_corpus(now)
        for message in sorted(messages, key=lambda m: m.when):
            await self.store.seed(
                corpus.SHARED_ADDRESS, message.folder, message.raw, message.when, message.flags
            )
        return len(messages)

    async def close(self) -> None:
        if self.registry is not None:
            await self.registry.close()
        if self.dns is not None:
            self.dns.close()
        await self.host.close()
        await self.store.close()
