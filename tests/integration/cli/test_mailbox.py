"""``mailwarden mailbox add|list|remove|test`` against the lab's Dovecot and Postfix."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_runner import CLI, Result
from lab.dovecot import Dovecot, MailUser
from lab.ports import release_ports, reserve_ports
from lab.postfix import Postfix


def add(
    cli: CLI,
    dovecot: Dovecot,
    postfix: Postfix,
    user: MailUser,
    name: str = "sales",
    *extra: str,
    password: str | None = None,
) -> Result:
    args = [
        "mailbox", "add", name,
        "--address", user.address, "--username", user.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", postfix.host, "--smtp-port", str(postfix.submission_port), "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file),
        *extra,
    ]  # fmt: skip
    if "--credential-ref" in extra:
        return cli(*args)
    return cli(*args, "--password-stdin", stdin=(user.password if password is None else password) + "\n")


def test_a_right_password_tests_ok(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    assert add(ready_cli, dovecot, postfix, mail_user).code == 0
    result = ready_cli("mailbox", "test", "sales")
    assert result.code == 0, result.output
    assert "IMAP" in result.stdout and "SMTP" in result.stdout

    as_json = ready_cli("mailbox", "test", "sales", "--json")
    assert as_json.code == 0, as_json.output
    assert as_json.json["ok"] is True
    assert as_json.json["imap"]["ok"] and as_json.json["smtp"]["ok"]


def test_a_wrong_password_shows_the_servers_answer(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    assert add(ready_cli, dovecot, postfix, mail_user, password="not-the-password").code == 0
    result = ready_cli("mailbox", "test", "sales")
    assert result.code == 1
    assert "NO [AUTHENTICATIONFAILED] Authentication failed." in result.stdout
    assert "535 5.7.8" in result.stdout

    report = ready_cli("mailbox", "test", "sales", "--json")
    assert report.code == 1
    imap, smtp = report.json["imap"], report.json["smtp"]
    assert imap["ok"] is False
    assert imap["error"]["code"] == "AUTHENTICATIONFAILED"
    assert imap["error"]["text"] == "Authentication failed."
    assert smtp["error"]["code"] == 535
    assert smtp["error"]["enhanced"] == "5.7.8"


def test_a_disabled_account_reports_contactadmin(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    dovecot.disable_user(mail_user.address, reason="Account_disabled_by_admin")
    assert add(ready_cli, dovecot, postfix, mail_user).code == 0
    report = ready_cli("mailbox", "test", "sales", "--json")
    assert report.code == 1
    assert report.json["imap"]["error"]["code"] == "CONTACTADMIN"
    assert report.json["imap"]["error"]["text"] == "Account_disabled_by_admin"
    text = ready_cli("mailbox", "test", "sales", "--lang", "zh-CN")
    assert "[CONTACTADMIN] Account_disabled_by_admin" in text.stdout
    assert "服务器的答复" in text.stdout


def test_an_expired_password_reports_expired(ready_cli: CLI, dovecot: Dovecot, postfix: Postfix) -> None:
    user = dovecot.expired_user()
    assert add(ready_cli, dovecot, postfix, user).code == 0
    report = ready_cli("mailbox", "test", "sales", "--json")
    assert report.code == 1
    assert report.json["imap"]["error"]["code"] == "EXPIRED"


def test_no_plaintext_password_reaches_the_database_or_the_log(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix
) -> None:
    user = dovecot.add_user(password="Zq7-授权码-plain-8841")
    assert add(ready_cli, dovecot, postfix, user).code == 0
    assert ready_cli("mailbox", "test", "sales").code == 0
    bad = dovecot.add_user(password="Wx3-other-secret-5512")
    assert add(ready_cli, dovecot, postfix, bad, "info", password="Wx3-wrong-secret-5512").code == 0
    assert ready_cli("mailbox", "test", "info").code == 1
    assert ready_cli("mailbox", "list", "--json").code == 0

    data = ready_cli.root / "data"
    log = data / "mw.log"
    assert log.exists() and log.stat().st_size > 0, "the test must have logged something"
    for secret in ("Zq7-授权码-plain-8841", "Wx3-wrong-secret-5512"):
        needle = secret.encode()
        for path in [*data.iterdir(), ready_cli.config]:
            if path.is_file():
                assert needle not in path.read_bytes(), f"{secret!r} found in {path.name}"


def test_list_shows_mailboxes_without_secrets(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    assert add(ready_cli, dovecot, postfix, mail_user).code == 0
    listed = ready_cli("mailbox", "list", "--json")
    assert listed.code == 0
    [box] = listed.json["mailboxes"]
    assert box["name"] == "sales"
    assert box["credential"] == {"kind": "password", "ref": None, "stored": True}
    assert mail_user.password not in listed.stdout
    table = ready_cli("mailbox", "list")
    assert "sales" in table.stdout and mail_user.password not in table.stdout


def test_a_credential_reference_is_resolved_when_used(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    result = add(ready_cli, dovecot, postfix, mail_user, "sales", "--credential-ref", "env:SALES_PW")
    assert result.code == 0, result.output
    unset = ready_cli("mailbox", "test", "sales")
    assert unset.code == 2
    assert "SALES_PW" in unset.stderr
    assert ready_cli("mailbox", "test", "sales", env={"SALES_PW": mail_user.password}).code == 0


def test_remove_then_unknown_mailbox(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    assert add(ready_cli, dovecot, postfix, mail_user).code == 0
    assert add(ready_cli, dovecot, postfix, mail_user).code == 2  # exists already
    assert ready_cli("mailbox", "remove", "sales").code == 0
    gone = ready_cli("mailbox", "test", "sales")
    assert gone.code == 2
    assert "sales" in gone.stderr


@pytest.mark.parametrize("flag", ["--imap-tls", "--smtp-tls"])
def test_tls_none_needs_allow_plaintext(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, flag: str
) -> None:
    user = dovecot.add_user()
    args = [
        "mailbox", "add", "plain", "--address", user.address, "--username", user.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imap_port), "--imap-tls", "starttls",
        "--smtp-host", postfix.host, "--smtp-port", str(postfix.relay_port), "--smtp-tls", "starttls",
        flag, "none", "--password-stdin",
    ]  # fmt: skip
    refused = ready_cli(*args, stdin=user.password)
    assert refused.code == 2
    assert "--allow-plaintext" in refused.stderr
    assert ready_cli(*args, "--allow-plaintext", stdin=user.password).code == 0


def test_a_missing_key_says_what_to_do(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    assert add(ready_cli, dovecot, postfix, mail_user).code == 0
    (ready_cli.root / "data" / "secret.key").unlink()
    result = ready_cli("mailbox", "test", "sales")
    assert result.code == 2
    assert "mailwarden init" in result.stderr
    assert "Traceback" not in result.output


def test_a_wrong_key_names_both_keys(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, mail_user: MailUser
) -> None:
    assert add(ready_cli, dovecot, postfix, mail_user).code == 0
    key = ready_cli.root / "data" / "secret.key"
    key.unlink()
    assert ready_cli("init").code == 0  # a new, different key
    result = ready_cli("mailbox", "test", "sales", "--json")
    assert result.code == 2
    assert result.json["error"]["kind"] == "secret_key_mismatch"


def test_a_closed_port_is_a_problem_not_a_crash(
    ready_cli: CLI, dovecot: Dovecot, postfix: Postfix, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    [port] = reserve_ports(1)  # reserved by this run, so nothing else is listening there
    closed = str(port)
    args = [
        "mailbox", "add", "down", "--address", user.address, "--username", user.address,
        "--imap-host", "127.0.0.1", "--imap-port", closed, "--imap-tls", "implicit",
        "--smtp-host", "127.0.0.1", "--smtp-port", closed, "--smtp-tls", "implicit", "--password-stdin",
    ]  # fmt: skip
    assert ready_cli(*args, stdin=user.password).code == 0
    report = ready_cli("mailbox", "test", "down", "--json")
    assert report.code == 1
    assert report.json["imap"]["error"]["kind"] == "network_error"
    assert report.json["imap"]["error"]["key"] == "net.refused"
    release_ports([port])
