"""The demo's DNS: an authoritative server for the demo's domain on loopback (UDP), built on dnspython.

``mailwarden diagnose`` asks DNS for the domain's MX, SPF, DMARC, NS and the mail SRV records; the demo
points ``[diagnose] dns_servers`` and ``dns_authoritative_port`` here, so a diagnosis never reaches the
outside world (nothing of the demo leaves loopback). Names outside the zone get REFUSED, as an
authoritative-only server answers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rrset
import dns.zone

__all__ = ["ZoneServer", "zone_text"]

log = logging.getLogger(__name__)


def zone_text(domain: str) -> str:
    """The demo domain as a careful administrator sets it up. No RFC 6186 SRV records: ``diagnose`` would
    probe the host they name through the system's resolver, which does not know the demo's domain."""
    return f"""\
$ORIGIN {domain}.
$TTL 300
@       IN SOA ns1 hostmaster 2026112701 3600 600 86400 300
@       IN NS  ns1
@       IN MX  10 mail
@       IN A   127.0.0.1
@       IN TXT "v=spf1 mx -all"
_dmarc  IN TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}"
ns1     IN A   127.0.0.1
mail    IN A   127.0.0.1
"""


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, zone: dns.zone.Zone) -> None:
        self.zone = zone
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException as exc:
            log.debug("demo DNS: unreadable query (%s)", exc)
            return
        if self.transport is not None:
            self.transport.sendto(self.answer(query).to_wire(), addr)

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA
        if not query.question:
            reply.set_rcode(dns.rcode.FORMERR)
            return reply
        question = query.question[0]
        if not question.name.is_subdomain(self.zone.origin or dns.name.root):
            reply.flags &= ~dns.flags.AA
            reply.set_rcode(dns.rcode.REFUSED)
            return reply
        node = self.zone.get_node(question.name)
        if node is None:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        else:
            found = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
            if found is not None:
                reply.answer.append(_rrset(question.name, found))
        if not reply.answer:  # NODATA or NXDOMAIN: the SOA tells resolvers how long to remember it
            origin = self.zone.origin or dns.name.root
            reply.authority.append(_rrset(origin, self.zone.find_rdataset(origin, "SOA")))
        return reply


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


class ZoneServer:
    """One zone served over UDP on ``host``; :attr:`port` is known after :meth:`start`."""

    def __init__(self, text: str, origin: str, host: str = "127.0.0.1") -> None:
        self.zone = dns.zone.from_text(text, origin=dns.name.from_text(origin), relativize=False)
        self.host = host
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self, port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self.zone), local_addr=(self.host, port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self.port

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
