"""Mail from the demo's outside world: a customer's message handed to the embedded SMTP server as any
sending server would hand it over (implicit TLS, no AUTH: inbound mail for a local recipient)."""

from __future__ import annotations

import ssl

import aiosmtplib

from mailwarden.demo.world import World

__all__ = ["send"]


async def send(world: World, sender: str, recipient: str, raw: bytes) -> None:
    context = ssl.create_default_context(cafile=str(world.certs.ca_file))
    await aiosmtplib.send(
        raw,
        sender=sender,
        recipients=[recipient],
        hostname="127.0.0.1",
        port=world.host.port,
        use_tls=True,
        tls_context=context,
        timeout=10,
    )
