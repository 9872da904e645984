"""Causes on a real Dovecot: each scenario's top finding has the expected code."""

from __future__ import annotations

import random
import secrets
import string
from pathlib import Path

from mailwarden.db.engine import Database

from diag_lab import PlaintextDovecot, dovecot_with, expired_certs, self_signed_certs, wrong_name_certs
from diag_run import codes, imap, run, settings_for
from lab.certs import LabCerts
from lab.dovecot import Dovecot, MailUser
from lab.postfix import Postfix


def _user(dovecot: Dovecot, **kwargs: str) -> MailUser:
    """Letters only: a digit between letters would (rightly) be flagged as a possible typo."""
    return dovecot.add_user("".join(random.choices(string.ascii_lowercase, k=10)), **kwargs)


def _special(dovecot: Dovecot, prefix: str) -> MailUser:
    """A user the lab's Lua passdb treats specially (``expired-*``, ``tempfail-*``), named with letters only:
    ``expired_user()`` adds hex digits, and a digit between letters is (rightly) a possible typo."""
    return dovecot.add_user(prefix + "".join(random.choices(string.ascii_lowercase, k=8)))


def _root(lab_dir: Path) -> Path:
    """Dovecot's auth process must reach its files: under the lab dir, not pytest's private tmp_path."""
    return lab_dir / f"diag-{secrets.token_hex(4)}"


async def test_a_healthy_lab_mailbox_gives_no_error_finding(
    dovecot: Dovecot, postfix: Postfix, lab_dns, ledger_db: Database
) -> None:
    user = _user(
        dovecot,
    )
    result = await run(
        user.address,
        settings_for(lab_dns),
        ledger_db,
        password=user.password,
        ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port),
        smtp=imap(postfix.smtps_port).__class__("smtp", "127.0.0.1", postfix.smtps_port, "implicit"),
    )
    assert result.healthy, result.as_dict()
    assert [f for f in result.findings if f.severity == "error"] == []
    assert result.login_attempts == 2
    assert result.evidence.imap[0].examine_ok is True


async def test_a_wrong_password_is_named_with_the_servers_words(
    dovecot: Dovecot, lab_dns, ledger_db: Database
) -> None:
    user = _user(
        dovecot,
    )
    result = await run(
        user.address,
        settings_for(lab_dns),
        ledger_db,
        password="not-" + user.password,
        ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port),
    )
    assert codes(result)[0] == "auth.wrong_password"
    assert "NO [AUTHENTICATIONFAILED] Authentication failed." in result.findings[0].evidence


async def test_the_same_wrong_password_is_never_sent_twice(
    dovecot: Dovecot, lab_dns, ledger_db: Database
) -> None:
    """GIVEN a password the server refused WHEN the diagnosis runs again THEN no login is tried, and the
    remembered refusal is the evidence."""
    user = _user(
        dovecot,
    )
    kwargs = dict(password="wrong-" + user.password, ca_file=dovecot.ca_file, imap=imap(dovecot.imaps_port))
    first = await run(user.address, settings_for(lab_dns), ledger_db, **kwargs)  # type: ignore[arg-type]
    second = await run(user.address, settings_for(lab_dns), ledger_db, **kwargs)  # type: ignore[arg-type]
    assert first.login_attempts == 1 and second.login_attempts == 0
    assert second.evidence.imap[0].login is not None
    assert second.evidence.imap[0].login.reason == "already_refused"
    assert "auth.login_skipped" in codes(second) and codes(second)[0] == "auth.wrong_password"
    assert dovecot.log_text().count(f"user=<{user.address}>") <= 2  # one auth failure line (+ one disconnect)


async def test_a_disabled_account(dovecot: Dovecot, lab_dns, ledger_db: Database) -> None:
    user = _user(dovecot, nologin_reason="Account_disabled_by_admin")
    result = await run(
        user.address,
        settings_for(lab_dns),
        ledger_db,
        password=user.password,
        ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port),
    )
    assert codes(result)[0] == "auth.account_disabled"
    assert any("CONTACTADMIN" in line for line in result.findings[0].evidence)


async def test_quota_near_full_and_full(dovecot: Dovecot, lab_dns, ledger_db: Database) -> None:
    user = _user(dovecot, quota="*:storage=10K")
    dovecot.deliver(user.address, b"Subject: big\r\n\r\n" + b"x" * 8600 + b"\r\n")
    near = await run(
        user.address,
        settings_for(lab_dns),
        ledger_db,
        password=user.password,
        ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port),
    )
    assert codes(near)[0] == "quota.near_full", near.as_dict()
    dovecot.set_quota(user.address, "*:storage=5K")
    full = await run(
        user.address,
        settings_for(lab_dns),
        ledger_db,
        password=user.password,
        ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port),
    )
    assert codes(full)[0] == "quota.full"


async def _cert_case(root: Path, certs: LabCerts, lab_dns) -> list[str]:
    with dovecot_with(root / "dovecot", certs) as server:
        result = await run(
            "sales@example.test", settings_for(lab_dns), ca_file=certs.ca_file, imap=imap(server.imaps_port)
        )
    return codes(result)


async def test_an_expired_certificate(lab_dir: Path, lab_certs: LabCerts, lab_dns) -> None:
    assert (await _cert_case(_root(lab_dir), expired_certs(lab_certs, lab_dir / "certs"), lab_dns))[
        0
    ] == "tls.cert_expired"


async def test_a_self_signed_certificate(lab_dir: Path, lab_certs: LabCerts, lab_dns) -> None:
    assert (await _cert_case(_root(lab_dir), self_signed_certs(lab_certs, lab_dir / "certs"), lab_dns))[
        0
    ] == "tls.cert_untrusted"


async def test_a_certificate_for_another_host_name(lab_dir: Path, lab_certs: LabCerts, lab_dns) -> None:
    found = await _cert_case(_root(lab_dir), wrong_name_certs(lab_certs, lab_dir / "certs"), lab_dns)
    assert found[0] == "tls.cert_hostname_mismatch"


async def test_implicit_tls_pointed_at_a_starttls_port(dovecot: Dovecot, lab_dns) -> None:
    result = await run(
        "sales@example.test",
        settings_for(lab_dns),
        ca_file=dovecot.ca_file,
        imap=imap(dovecot.imap_port, "implicit"),
    )
    assert codes(result)[0] == "tls.wrong_mode"
    assert result.findings[0].params["actual"] == "starttls"


async def test_starttls_pointed_at_an_implicit_tls_port(dovecot: Dovecot, lab_dns) -> None:
    result = await run(
        "sales@example.test",
        settings_for(lab_dns),
        ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port, "starttls"),
    )
    assert codes(result)[0] == "tls.wrong_mode"
    assert result.findings[0].params["actual"] == "implicit"


async def test_a_plaintext_only_server(lab_dir: Path, lab_certs: LabCerts, lab_dns) -> None:
    with dovecot_with(_root(lab_dir), lab_certs, PlaintextDovecot) as server:
        result = await run(
            "sales@example.test", settings_for(lab_dns), imap=imap(server.imap_port, "starttls")
        )
    assert codes(result)[0] == "tls.unavailable"


async def test_an_expired_password(dovecot: Dovecot, lab_dns, ledger_db: Database) -> None:
    """The right password, refused with RFC 5530 [EXPIRED] (the lab's Lua passdb)."""
    user = _special(dovecot, "expired-")
    result = await run(
        user.address, settings_for(lab_dns), ledger_db, password=user.password, ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port),
    )  # fmt: skip
    assert codes(result)[0] == "auth.password_expired", result.as_dict()
    assert any("[EXPIRED]" in line for line in result.findings[0].evidence)


async def test_a_temporary_authentication_failure_is_the_servers_fault(
    dovecot: Dovecot, lab_dns, ledger_db: Database
) -> None:
    """[UNAVAILABLE]: the server could not check the password -- not the user's mistake."""
    user = _special(dovecot, "tempfail-")
    result = await run(
        user.address, settings_for(lab_dns), ledger_db, password=user.password, ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port),
    )  # fmt: skip
    assert codes(result)[0] == "provider.outage", result.as_dict()
    assert "auth.wrong_password" not in codes(result)
