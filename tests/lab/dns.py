"""A DNS stand-in on loopback (dnslib): a "resolver" and a domain's "authoritative" server, each answering
from zone text, for the diagnosis tests and the CLI tests that run ``mailwarden diagnose``."""

from __future__ import annotations

from dnslib import QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from lab.ports import release_ports, reserve_ports

__all__ = ["DnsLab"]


class _Zone(BaseResolver):  # type: ignore[misc]
    """Answers from zone text; NXDOMAIN only for names with no records at all (unlike ZoneResolver)."""

    def __init__(self, text: str) -> None:
        self.rrs = RR.fromZone(text)

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        qname, qtype = request.q.qname, request.q.qtype
        for rr in self.rrs:
            if rr.rname == qname and (rr.rtype == qtype or QTYPE[qtype] == "ANY"):
                reply.add_answer(rr)
        if not reply.rr and all(rr.rname != qname for rr in self.rrs):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class DnsLab:
    """A "resolver" on 127.0.0.1:PORT and the domains' "authoritative" server on 127.0.0.2:PORT (same
    port, so one ``dns_authoritative_port`` setting reaches it). NS records name ``ns1.lab.test``."""

    def __init__(self, resolver_zone: str, authoritative_zone: str | None = None) -> None:
        (self.port,) = reserve_ports(1)
        quiet = DNSLogger(logf=lambda _: None)
        self.servers = [DNSServer(_Zone(resolver_zone), port=self.port, address="127.0.0.1", logger=quiet)]
        self.servers.append(
            DNSServer(
                _Zone(authoritative_zone or resolver_zone), port=self.port, address="127.0.0.2", logger=quiet
            )
        )

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> DnsLab:
        for server in self.servers:
            server.start_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.stop()
            server.server.server_close()
        release_ports([self.port])
