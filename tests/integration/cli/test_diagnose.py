"""``mailwarden diagnose --mailbox NAME`` as a user runs it: a stored mailbox against the lab's Dovecot and
Postfix, with a local DNS server standing in for the resolver. The password comes from the store and
never appears in what the command prints."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

import pytest

from cli_runner import CLI, Result
from lab.dns import DnsLab
from lab.dovecot import Dovecot, MailUser
from lab.postfix import Postfix


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsLab]:
    zone = (
        "example.test. 300 IN MX 10 mail.example.test.\n"
        "example.test. 300 IN A 127.0.0.1\n"
        "mail.example.test. 300 IN A 127.0.0.1\n"
        'example.test. 300 IN TXT "v=spf1 mx -all"\n'
        '_dmarc.example.test. 300 IN TXT "v=DMARC1; p=none"\n'
        "example.test. 300 IN NS ns1.lab.test.\n"
        "ns1.lab.test. 300 IN A 127.0.0.2\n"
    )
    with DnsLab(zone) as server:
        yield server


@pytest.fixture
def user(dovecot: Dovecot) -> MailUser:
    """Letters only: the lab's usual ``u1-3a1b`` may hold a digit between letters, which the diagnosis
    (rightly) names as a possible typo."""
    return dovecot.add_user("".join(random.choices(string.ascii_lowercase, k=10)))


@pytest.fixture
def diag_cli(ready_cli: CLI, dns: DnsLab) -> CLI:
    """The CLI with ``[diagnose]`` pointed at the lab: its resolver, and an RDAP server nobody runs."""
    with ready_cli.config.open("a") as config:
        config.write(
            f'\n[diagnose]\ndns_servers = ["{dns.server}"]\ndns_authoritative_port = {dns.port}\n'
            'rdap_base_url = "http://127.0.0.1:9"\nconnect_timeout = 2.0\nreply_timeout = 3.0\n'
        )
    return ready_cli


def _store(cli: CLI, dovecot: Dovecot, postfix: Postfix, user: MailUser, password: str) -> None:
    added = cli(
        "mailbox", "add", "sales", "--address", user.address, "--username", user.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", postfix.host, "--smtp-port", str(postfix.submission_port), "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--password-stdin", stdin=password + "\n",
    )  # fmt: skip
    assert added.code == 0, added.output


def _secret_free(result: Result, *passwords: str) -> None:
    for password in passwords:
        assert password not in result.output


def test_a_healthy_stored_mailbox_exits_0_without_an_error_finding(
    diag_cli: CLI, dovecot: Dovecot, postfix: Postfix, user: MailUser
) -> None:
    _store(diag_cli, dovecot, postfix, user, user.password)
    report = diag_cli("diagnose", "--mailbox", "sales", "--json")
    assert report.code == 0, report.output
    data = report.json
    assert data["healthy"] is True and data["verdict"] is None
    assert [f["code"] for f in data["findings"] if f["severity"] == "error"] == []
    assert data["login_attempts"] == 2
    kinds = {c["kind"]: c["status"] for c in data["checks"]}
    assert kinds["imap"] == "ok" and kinds["smtp"] == "ok"
    _secret_free(report, user.password)

    text = diag_cli("diagnose", "--mailbox", "sales", "--lang", "zh-CN")
    assert text.code == 0, text.output
    assert "未发现问题" in text.stdout
    _secret_free(text, user.password)


def test_a_stored_wrong_password_is_named_and_never_printed(
    diag_cli: CLI, dovecot: Dovecot, postfix: Postfix, user: MailUser
) -> None:
    wrong = "Wr0ng-" + user.password
    _store(diag_cli, dovecot, postfix, user, wrong)
    report = diag_cli("diagnose", "--mailbox", "sales", "--json")
    assert report.code == 1, report.output
    data = report.json
    assert data["verdict"]["code"] == "auth.wrong_password"
    assert "NO [AUTHENTICATIONFAILED] Authentication failed." in data["verdict"]["evidence"]
    assert data["login_attempts"] == 1  # SMTP did not send the password IMAP refused
    _secret_free(report, wrong, user.password)

    # the next run does not send it again, and still names the cause
    text = diag_cli("diagnose", "--mailbox", "sales")
    assert text.code == 1, text.output
    assert "auth.wrong_password" in text.stdout and "AUTHENTICATIONFAILED" in text.stdout
    _secret_free(text, wrong, user.password)
    log = (diag_cli.root / "data" / "mw.log").read_text()
    assert wrong not in log


def test_an_unknown_mailbox_is_a_usage_problem(diag_cli: CLI) -> None:
    result = diag_cli("diagnose", "--mailbox", "nosuch")
    assert result.code != 0 and "nosuch" in result.output
