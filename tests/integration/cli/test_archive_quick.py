"""The quick no-change ``archive sync``: taken when nothing changed, and only then.

Each test syncs a lab account once, changes one thing on the server (or around it), and runs
``mailwarden archive sync`` again: the quick check must step aside (the log says why) and the full pass must
leave the archive right. The debug log (``data/mw.log``) tells which road a run took.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
from typing import Any

import pytest

from cli_runner import CLI, Result, add, message
from lab.dovecot import Dovecot, MailUser

#: runs the Typer command itself, past the quick check: what a no-change pass printed before it existed
_FULL = (
    "import sys; from mailwarden.cli.main import build; "
    "build('archive')(sys.argv[1:], prog_name='mailwarden')"
)


def sync(cli: CLI, *args: str) -> tuple[Result, str]:
    """``archive sync ARGS``, and what the quick check said: "unchanged", "falling through: ...", or ""."""
    log = cli.root / "data" / "mw.log"
    before = log.read_text() if log.exists() else ""
    result = cli("archive", "sync", *args)
    said = re.findall(r"quick check: (.*)", (log.read_text() if log.exists() else "")[len(before) :])
    return result, said[-1] if said else ""


def full(cli: CLI, *args: str) -> Result:
    done = subprocess.run(
        [sys.executable, "-c", _FULL, "archive", "sync", *args],
        capture_output=True, text=True, env=cli.env, cwd=cli.root, timeout=120, check=False,
    )  # fmt: skip
    return Result(done.returncode, done.stdout, done.stderr)


def runs(cli: CLI) -> list[dict[str, Any]]:
    with sqlite3.connect(cli.root / "data" / "mailwarden.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM archive_sync_runs ORDER BY id")]


def archived(cli: CLI, folder: str = "INBOX") -> dict[str, Any]:
    status = cli("archive", "status", "--json")
    assert status.code == 0, status.output
    [box] = status.json["mailboxes"]
    return next((f for f in box["folders"] if f["name"] == folder), {})


@pytest.fixture
def synced(ready_cli: CLI, dovecot: Dovecot, mail_user: MailUser) -> CLI:
    """A mailbox with two messages in INBOX and one in a folder "Quotes", synced once (the full pass)."""
    for i in range(2):
        dovecot.deliver(mail_user.address, message(f"inquiry-{i}"))
    dovecot.create_folder(mail_user.address, "Quotes")
    add(ready_cli, dovecot, mail_user)
    first, said = sync(ready_cli, "--json")
    assert first.code == 0, first.output
    assert said.startswith("falling through"), said  # never synced
    assert first.json["mailboxes"][0]["fetched"] == 2
    return ready_cli


def assert_falls_through_then_quick(cli: CLI, **expected: int) -> dict[str, Any]:
    result, said = sync(cli, "--json")
    assert result.code == 0, result.output
    assert said.startswith("falling through"), said
    [run] = result.json["mailboxes"]
    assert {k: run[k] for k in expected} == expected
    again, said = sync(cli, "--json")
    assert again.code == 0, again.output
    assert said.startswith("unchanged"), said
    return dict(run)


def _without_times(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("id", "started_at", "finished_at")}


def test_a_no_change_sync_is_answered_quickly_with_what_the_full_pass_says(synced: CLI) -> None:
    full_json = full(synced, "--json")
    quick_json, said = sync(synced, "--json")
    assert said.startswith("unchanged"), said
    assert (full_json.code, quick_json.code) == (0, 0), full_json.output + quick_json.output
    full_doc, quick_doc = full_json.json, quick_json.json
    assert full_doc["mailboxes"][0]["folders_skipped"] >= 2
    for doc in (full_doc, quick_doc):
        for run in doc["mailboxes"]:
            run["seconds"] = 0
    assert quick_doc == full_doc
    full_row, quick_row = runs(synced)[-2:]
    assert _without_times(quick_row) == _without_times(full_row)
    assert quick_row["started_at"] <= quick_row["finished_at"]

    full_text = full(synced, "--lang", "zh-CN")
    quick_text, said = sync(synced, "--lang", "zh-CN")
    assert said.startswith("unchanged"), said
    assert full_text.code == quick_text.code == 0
    assert full_text.stderr == quick_text.stderr == ""
    seconds = re.compile(r"\d+\.\d")
    assert seconds.sub("S", quick_text.stdout) == seconds.sub("S", full_text.stdout)
    assert "同步" in quick_text.stdout or "文件夹" in quick_text.stdout


def test_the_quick_path_loads_neither_sqlalchemy_nor_typer_nor_rich(synced: CLI) -> None:
    program = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr))\n"
        "sys.argv = ['mailwarden', 'archive', 'sync']\n"
        "from mailwarden.cli.main import main\nmain()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=synced.env, cwd=synced.root,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if line.startswith("MODULES "))
    modules = set(line.split()[1:])
    assert "mailwarden.sync.quick" in modules
    heavy = sorted(
        m for m in modules if m.split(".")[0] in {"sqlalchemy", "typer", "rich", "click", "alembic"}
    )
    assert heavy == []


def test_a_new_message_falls_through(synced: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.deliver(mail_user.address, message("late"))
    assert_falls_through_then_quick(synced, fetched=1, stored=1)
    assert archived(synced)["archived"] == 3


def test_an_expunge_falls_through(synced: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.doveadm("expunge", "-u", mail_user.address, "mailbox", "INBOX", "uid", "1")
    assert_falls_through_then_quick(synced, tombstoned=1, fetched=0)
    assert archived(synced)["tombstones"] == 1


def test_a_flag_change_falls_through(synced: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.doveadm("flags", "add", "-u", mail_user.address, "\\Flagged", "mailbox", "INBOX", "uid", "1")
    assert_falls_through_then_quick(synced, flag_changes=1, fetched=0)


def test_a_new_folder_falls_through(synced: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.create_folder(mail_user.address, "Orders")
    run = assert_falls_through_then_quick(synced, fetched=0)
    assert run["folders_skipped"] < run["folders"]
    assert archived(synced, "Orders") != {}


def test_a_deleted_folder_falls_through(synced: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.doveadm("mailbox", "delete", "-u", mail_user.address, "Quotes")
    assert_falls_through_then_quick(synced, fetched=0)
    assert archived(synced, "Quotes") == {}


def test_a_renamed_folder_falls_through(synced: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.doveadm("mailbox", "rename", "-u", mail_user.address, "Quotes", "Offers")
    assert_falls_through_then_quick(synced, fetched=0)
    assert archived(synced, "Offers") != {}


def test_a_uidvalidity_change_falls_through(synced: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.doveadm("mailbox", "update", "-u", mail_user.address, "--uid-validity", "4242", "INBOX")
    assert_falls_through_then_quick(synced, fetched=2)
    assert archived(synced)["archived"] == 2


def test_a_mailbox_never_synced_makes_all_fall_through(
    synced: CLI, dovecot: Dovecot, mail_user: MailUser
) -> None:
    other = dovecot.add_user()
    dovecot.deliver(other.address, message("other"))
    result = synced(
        "mailbox", "add", "other", "--address", other.address, "--username", other.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", dovecot.host, "--smtp-port", "25", "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--password-stdin", stdin=other.password,
    )  # fmt: skip
    assert result.code == 0, result.output
    only_sales, said = sync(synced, "sales", "--json")
    assert said.startswith("unchanged"), said
    assert [r["mailbox"] for r in only_sales.json["mailboxes"]] == ["sales"]
    both, said = sync(synced, "--json")
    assert said.startswith("falling through: other:"), said
    assert [(r["mailbox"], r["fetched"]) for r in both.json["mailboxes"]] == [("other", 1), ("sales", 0)]
    again, said = sync(synced, "--json")
    assert said.startswith("unchanged"), said
    assert [r["mailbox"] for r in again.json["mailboxes"]] == ["other", "sales"]


def test_a_held_lease_falls_through_to_busy(synced: CLI) -> None:
    holder = f"{socket.gethostname()}:{os.getpid()}:test"  # alive: this test process
    with sqlite3.connect(synced.root / "data" / "mailwarden.db") as conn:
        conn.execute(
            "INSERT INTO leases VALUES ('sync:mailbox:1', ?, '2000-01-01 00:00:00.000000',"
            " '2999-01-01 00:00:00.000000')",
            (holder,),
        )
    count = len(runs(synced))
    result, said = sync(synced, "--json")
    assert said.startswith("falling through: sales: another process holds"), said
    assert result.code == 1
    assert result.json["mailboxes"][0]["error"]["kind"] == "conflict_error"
    assert len(runs(synced)) == count  # the quick check wrote nothing
    with sqlite3.connect(synced.root / "data" / "mailwarden.db") as conn:
        assert conn.execute("SELECT holder FROM leases").fetchall() == [(holder,)]


def test_an_expired_lease_is_taken_and_given_back(synced: CLI) -> None:
    with sqlite3.connect(synced.root / "data" / "mailwarden.db") as conn:
        conn.execute(
            "INSERT INTO leases VALUES ('sync:mailbox:1', 'elsewhere:1:x', '2000-01-01 00:00:00.000000',"
            " '2000-01-01 00:01:30.000000')"
        )
    result, said = sync(synced)
    assert said.startswith("unchanged"), said
    assert result.code == 0
    with sqlite3.connect(synced.root / "data" / "mailwarden.db") as conn:
        assert conn.execute("SELECT * FROM leases").fetchall() == []


def test_a_refused_login_falls_through_to_the_full_report(
    synced: CLI, dovecot: Dovecot, mail_user: MailUser
) -> None:
    dovecot.disable_user(mail_user.address)
    count = len(runs(synced))
    result, said = sync(synced, "--json")
    assert said.startswith("falling through"), said
    assert result.code == 1
    assert result.json["mailboxes"][0]["error"]["kind"] == "imap_auth_error"
    recorded = runs(synced)
    assert len(recorded) == count + 1  # the refusal is recorded as a failed run
    assert (recorded[-1]["status"], recorded[-1]["error_kind"]) == ("failed", "imap_auth_error")
    # the next run does not offer the refused password twice: the quick check leaves it to the full pass
    again, said = sync(synced, "--json")
    assert said == "falling through: sales: its last run did not succeed", said
    assert again.code == 1


def test_full_does_not_ask_the_quick_check(synced: CLI) -> None:
    result, said = sync(synced, "--full", "--json")
    assert said == ""
    assert result.code == 0, result.output
    assert result.json["mailboxes"][0]["folders_skipped"] == 0


def test_postgresql_falls_through(ready_cli: CLI, dovecot: Dovecot, mail_user: MailUser, pg_url: str) -> None:
    ready_cli.config.write_text(f'database_url = "{pg_url}"\n' + ready_cli.config.read_text())
    migrated = ready_cli("migrate")
    assert migrated.code == 0, migrated.output
    dovecot.deliver(mail_user.address, message("pg"))
    add(ready_cli, dovecot, mail_user)
    for fetched in (1, 0):
        result, said = sync(ready_cli, "--json")
        assert result.code == 0, result.output
        assert said == "falling through: the database is not a SQLite file"
        assert result.json["mailboxes"][0]["fetched"] == fetched


def test_no_index_is_answered_quickly_and_even_when_the_index_is_behind(synced: CLI) -> None:
    """--no-index (the sync benchmark's option) keeps the quick path, and skips the index check."""
    result, said = sync(synced, "--no-index", "--json")
    assert said.startswith("unchanged"), said
    assert result.code == 0 and result.json["index"] is None
    search = synced.root / "data" / "search"
    (search / "CURRENT").rename(search / "CURRENT.away")  # the index looks missing: behind the archive
    try:
        assert sync(synced, "--no-index")[1].startswith("unchanged")
        assert sync(synced)[1].startswith("falling through: the search index is behind")
    finally:
        (search / "CURRENT.away").replace(search / "CURRENT")
