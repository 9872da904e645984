"""``mailwarden archive sync|status|verify|watch`` as a user runs them, against the lab Dovecot."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from cli_runner import CLI, add, message
from lab.dovecot import Dovecot, MailUser


def inbox(cli: CLI) -> dict[str, object]:
    status = cli("archive", "status", "--json")
    assert status.code == 0, status.output
    [box] = status.json["mailboxes"]
    return next((f for f in box["folders"] if f["name"] == "INBOX"), {})  # {} before the first pass


def test_sync_status_and_verify(ready_cli: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    for i in range(3):
        dovecot.deliver(mail_user.address, message(f"inquiry-{i}"))
    add(ready_cli, dovecot, mail_user)

    synced = ready_cli("archive", "sync", "--json")
    assert synced.code == 0, synced.output
    [run] = synced.json["mailboxes"]
    assert (run["status"], run["fetched"]) == ("ok", 3)
    assert inbox(ready_cli)["archived"] == 3

    assert ready_cli("archive", "verify").code == 0
    dovecot.deliver(mail_user.address, message("late-arrival"))
    late = ready_cli("archive", "verify", "--json")
    assert late.code == 1
    differences = late.json["mailboxes"]["sales"]["folders"]
    found = [d for f in differences for d in f["differences"]]
    assert [(d["kind"], d["subject"], d["message_id"]) for d in found] == [
        ("missing", "late-arrival", "late-arrival@x")
    ]
    text = ready_cli("archive", "verify")
    assert "late-arrival" in text.stdout


def test_sync_of_an_unreachable_mailbox_fails_visibly(
    ready_cli: CLI, dovecot: Dovecot, mail_user: MailUser
) -> None:
    add(ready_cli, dovecot, mail_user)
    dovecot.disable_user(mail_user.address)
    result = ready_cli("archive", "sync", "--json")
    assert result.code == 1
    [run] = result.json["mailboxes"]
    assert run["error"]["kind"] == "imap_auth_error"
    status = ready_cli("archive", "status", "--json")
    last = status.json["mailboxes"][0]["last_run"]
    assert last is None or last["status"] == "failed"


def test_watch_archives_live_mail_and_stops_on_sigterm(
    ready_cli: CLI, dovecot: Dovecot, mail_user: MailUser
) -> None:
    add(ready_cli, dovecot, mail_user)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "archive", "watch", "--json"],
        env=ready_cli.env,
        cwd=ready_cli.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and inbox(ready_cli).get("last_synced_at") is None:
            time.sleep(0.1)
        dovecot.deliver(mail_user.address, message("live-inquiry"))
        while time.monotonic() < deadline and inbox(ready_cli)["archived"] != 1:
            time.sleep(0.1)
        assert inbox(ready_cli)["archived"] == 1
        found = 0  # and searchable: the watch indexes what its passes archive
        while time.monotonic() < deadline and found == 0:
            result = ready_cli("archive", "search", "live-inquiry", "--json")
            found = result.json["total"] if result.code == 0 else 0
        assert found == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(e.get("event") == "pass" and e.get("fetched") == 1 for e in events), out
    assert any(e.get("event") == "indexed" and e.get("indexed") == 1 for e in events), out
