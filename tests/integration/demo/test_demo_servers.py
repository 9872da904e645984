"""The demo's embedded servers on loopback, each spoken to by a real client: SMTP (aiosmtplib) with its
submission and inbound rules, DNS (dnspython), and the mail image a restart relies on."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib
import dns.asyncresolver
import dns.resolver
import pytest

from mailwarden.demo import snapshot
from mailwarden.demo.dns_server import ZoneServer, zone_text
from mailwarden.demo.imap_server import MailStore
from mailwarden.demo.registry import Registry
from mailwarden.demo.smtp_server import MailHost
from mailwarden.demo.tls import make_certs
from mailwarden.diagnose.probes.rdap import probe_rdap

RAW = b"From: a@x.example\r\nTo: sales@demo.test\r\nSubject: Hello\r\nMessage-ID: <1@x.example>\r\n\r\nHi\r\n"


@dataclass
class Host:
    store: MailStore
    host: MailHost
    context: ssl.SSLContext

    async def send(self, sender: str, to: str, *, login: tuple[str, str] | None = None) -> None:
        await aiosmtplib.send(
            RAW, sender=sender, recipients=[to], hostname="127.0.0.1", port=self.host.port, use_tls=True,
            tls_context=self.context, username=login[0] if login else None,
            password=login[1] if login else None, timeout=10,
        )  # fmt: skip


@pytest.fixture
async def mail_host(tmp_path: Path) -> AsyncIterator[Host]:
    certs = make_certs(tmp_path / "tls")
    store = MailStore(certs)
    host = MailHost(store, "demo.test")
    await store.start()
    await host.start(ssl=certs.server_context())
    await host.add_user("sales@demo.test", "right")
    try:
        yield Host(store, host, ssl.create_default_context(cafile=str(certs.ca_file)))
    finally:
        await host.close()
        await store.close()


async def test_inbound_mail_for_a_local_user_is_delivered_with_its_trace(mail_host: Host) -> None:
    await mail_host.send("a@x.example", "sales@demo.test")
    [raw] = await mail_host.store.messages("sales@demo.test")
    assert raw.startswith(b"Return-Path: <a@x.example>\r\nReceived: from ")
    assert b"with ESMTPS id" in raw and raw.endswith(RAW)


async def test_without_login_nothing_is_relayed_and_unknown_users_are_refused(mail_host: Host) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as relay:
        await mail_host.send("a@x.example", "b@elsewhere.example")
    assert relay.value.recipients[0].code == 554
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as unknown:
        await mail_host.send("a@x.example", "nobody@demo.test")
    assert unknown.value.recipients[0].code == 550
    assert await mail_host.store.messages("sales@demo.test") == []


async def test_submission_needs_the_right_password_and_the_users_own_sender(mail_host: Host) -> None:
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as wrong:
        await mail_host.send("sales@demo.test", "b@elsewhere.example", login=("sales@demo.test", "wrong"))
    assert wrong.value.code == 535
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as spoofed:
        await mail_host.send("boss@demo.test", "b@elsewhere.example", login=("sales@demo.test", "right"))
    assert spoofed.value.code == 553
    await mail_host.send("sales@demo.test", "b@elsewhere.example", login=("sales@demo.test", "right"))
    [raw] = await mail_host.store.messages("b@elsewhere.example")  # the outside world got a mailbox
    assert b"with ESMTPSA id" in raw


async def test_the_mail_image_brings_back_the_same_folders_uids_and_flags(tmp_path: Path) -> None:
    certs = make_certs(tmp_path / "tls")
    before = MailStore(certs)
    when = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    for number in range(3):
        await before.seed("sales@demo.test", "Orders/2026", RAW + b"%d" % number, when, ["\\Seen"])
    await before.seed("sales@demo.test", "INBOX", RAW, when)
    await snapshot.save(before, tmp_path / "image")
    after = MailStore(certs)
    addresses, count = await snapshot.load(after, tmp_path / "image")
    assert addresses == ["sales@demo.test"] and count == 4
    assert await after.folder_names("sales@demo.test") == ["INBOX", "Orders", "Orders/2026"]
    for name in ("INBOX", "Orders/2026"):
        old = await before.export_folder("sales@demo.test", name)
        new = await after.export_folder("sales@demo.test", name)
        assert new == old and new.messages  # MAILBOXID, UIDVALIDITY, UIDNEXT, UIDs, dates, flags, bytes
    snapshot.discard(tmp_path / "image")
    assert not snapshot.exists(tmp_path / "image")


async def test_the_demo_domain_answers_for_itself_and_refuses_the_rest() -> None:
    server = ZoneServer(zone_text("demo.test"), "demo.test")
    port = await server.start()
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], port, 3
    try:
        mx = await resolver.resolve("demo.test", "MX")
        assert [r.to_text() for r in mx] == ["10 mail.demo.test."]
        spf = await resolver.resolve("demo.test", "TXT")
        assert [r.to_text() for r in spf] == ['"v=spf1 mx -all"']
        with pytest.raises(dns.resolver.NXDOMAIN):
            await resolver.resolve("nobody.demo.test", "A")
        with pytest.raises(dns.resolver.NoAnswer):
            await resolver.resolve("demo.test", "AAAA")
        with pytest.raises(dns.resolver.NoNameservers):  # REFUSED: not an open resolver
            await resolver.resolve("example.com", "A")
    finally:
        server.close()


async def test_the_registry_knows_the_demo_domain_as_diagnose_reads_it() -> None:
    registry = Registry({"demo.test"})
    base = await registry.start()
    try:
        found = await probe_rdap("demo.test", base_url=base, bootstrap_url="", timeout=5)
        assert found.failure in (None, "") and found.registrar == "Demo Registrar Ltd."
        assert found.expires is not None and found.expires > datetime.now(UTC)
        missing = await probe_rdap("other.test", base_url=base, bootstrap_url="", timeout=5)
        assert missing.failure and missing.failure.startswith("404")
    finally:
        await registry.close()
