"""``mailwarden inbox reply|outgoing|signature`` as a user runs them, against the lab Postfix and Dovecot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli_runner import CLI
from inbox_archive import mail
from lab.dovecot import Dovecot, MailUser
from recovery_lab import imap


def _mailbox(cli: CLI, dovecot: Dovecot, postfix: Any, sales: MailUser) -> None:
    result = cli(
        "mailbox", "add", "sales", "--address", sales.address, "--username", sales.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", postfix.host, "--smtp-port", str(postfix.submission_port), "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--password-stdin", stdin=sales.password,
    )  # fmt: skip
    assert result.code == 0, result.output


def _inbox_messages(dovecot: Dovecot, user: MailUser) -> list[bytes]:
    client = imap(dovecot, user)
    try:
        client.select("INBOX", readonly=True)
        _, found = client.search(None, "ALL")
        out = []
        for number in found[0].split():
            _, fetched = client.fetch(number, "(BODY.PEEK[])")
            item = fetched[0]
            assert isinstance(item, tuple)
            out.append(bytes(item[1]))
        return out
    finally:
        client.logout()


def test_an_agent_replies_from_the_command_line(
    ready_cli: CLI, dovecot: Dovecot, postfix: Any, mail_user: MailUser, tmp_path: Path
) -> None:
    cli = ready_cli
    customer = dovecot.add_user()
    _mailbox(cli, dovecot, postfix, mail_user)
    assert cli("agent", "add", "alice", "--email", "alice@example.test").code == 0
    dovecot.deliver(
        mail_user.address,
        mail("Price list [lab-reject-data]", sender=f"Anna <{customer.address}>", message_id="q1@weber"),
    )
    dovecot.deliver(
        mail_user.address, mail("LED panels", sender=f"Anna <{customer.address}>", message_id="q2@weber")
    )
    assert cli("archive", "sync", "--no-index", "--json").code == 0
    assert cli("inbox", "ingest", "--json").code == 0
    conversations = {c["subject"]: c["id"] for c in cli("inbox", "list", "--json").json["conversations"]}

    (tmp_path / "sig.txt").write_text("Alice Chen\nACME Export\n")
    signed = cli("inbox", "signature", "set", "alice", "--file", str(tmp_path / "sig.txt"), "--json")
    assert signed.code == 0, signed.output
    (tmp_path / "body.txt").write_text("Dear Anna,\n\nour price list is attached.\n")
    (tmp_path / "价格表.csv").write_text("item,price\nLED-40,12.50\n")

    sent = cli(
        "inbox", "reply", str(conversations["LED panels"]), "--as", "alice",
        "--body-file", str(tmp_path / "body.txt"), "--attach", str(tmp_path / "价格表.csv"),
        "--send-now", "--json",
    )  # fmt: skip
    assert sent.code == 0, sent.output
    assert sent.json["reply"]["status"] == "filed"
    (received,) = _inbox_messages(dovecot, customer)
    assert b"In-Reply-To: <q2@weber>" in received and b"Alice Chen" in received
    assert b"filename*=utf-8''%E4%BB%B7%E6%A0%BC%E8%A1%A8.csv" in received

    refused = cli(
        "inbox", "reply", str(conversations["Price list [lab-reject-data]"]), "--as", "alice",
        "--body-file", str(tmp_path / "body.txt"), "--send-now", "--json",
    )  # fmt: skip
    assert refused.code == 1, refused.output
    assert refused.json["reply"]["status"] == "failed"
    assert refused.json["reply"]["error"]["code"] == 550

    listed = cli("inbox", "outgoing", "list", "--status", "failed", "--json")
    assert [r["id"] for r in listed.json["replies"]] == [refused.json["reply"]["id"]]
    human = cli("inbox", "outgoing", "list", "--lang", "zh-CN")
    assert "lab content filter" in human.stdout
    retried = cli("inbox", "outgoing", "retry", str(refused.json["reply"]["id"]), "--json")
    assert retried.code == 0 and retried.json["reply"]["status"] == "queued"
    again = cli("inbox", "outgoing", "send", "--json")
    assert again.code == 1 and again.json["outcomes"] == {"failed": 1}

    missing = cli("inbox", "reply", "999", "--as", "alice", "--body-file", str(tmp_path / "body.txt"))
    assert missing.code == 2 and "999" in missing.stderr
