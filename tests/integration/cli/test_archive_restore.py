"""``mailwarden archive restore`` into a second lab account: byte-identical, idempotent, resumable."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from mailwarden.archive.blobstore import BlobStore
from mailwarden.db import lease
from mailwarden.db.engine import Database
from mailwarden.mailboxes import service as mailboxes

from cli_runner import CLI
from lab.dovecot import Dovecot, MailUser
from recovery_lab import FOLDERS, SEEDS, add_mailbox, expected, imap, raw, seed, server_view


@pytest.fixture
def source_user(dovecot: Dovecot) -> MailUser:
    user = dovecot.add_user()
    seed(dovecot, user)
    return user


@pytest.fixture
def source_archived(ready_cli: CLI, dovecot: Dovecot, source_user: MailUser) -> CLI:
    """GIVEN account A (the seed messages in three folders) archived as ``source``."""
    add_mailbox(ready_cli, dovecot, source_user, "source")
    assert ready_cli("archive", "sync").code == 0
    return ready_cli


def no_such_pid() -> int:
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # beyond what the kernel hands out


def database_file(cli: CLI) -> Path:
    [found] = cli.root.glob("**/mailwarden.db")
    return found


def archive_state(cli: CLI) -> tuple[object, ...]:
    """Every archive row and every blob file with its size and mtime."""
    with sqlite3.connect(database_file(cli)) as conn:
        rows = tuple(
            tuple(conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall())  # noqa: S608
            for table in ("archive_messages", "archive_folders", "archive_blobs")
        )
    blobs = tuple(
        sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in cli.root.glob("**/blobs/??/*.zst"))
    )
    return (*rows, blobs)


def target(cli: CLI, dovecot: Dovecot) -> MailUser:
    user = dovecot.add_user()
    add_mailbox(cli, dovecot, user, "target")
    return user


def test_restore_is_byte_identical_with_flags_and_dates_and_a_second_run_adds_nothing(
    source_archived: CLI, dovecot: Dovecot
) -> None:
    b = target(source_archived, dovecot)
    before = archive_state(source_archived)
    first = source_archived("archive", "restore", "--to", "target", "--json")
    assert first.code == 0, first.output
    assert (first.json["appended"], first.json["present"]) == (len(SEEDS), 0)
    assert first.json["created"] == 1  # 客户/重要; the lab account has Sent already (auto-created)
    for folder in FOLDERS:
        assert server_view(dovecot, b, folder) == expected(folder), folder
    with sqlite3.connect(database_file(source_archived)) as conn:
        ledger = conn.execute("SELECT target_folder, sha256, uid FROM restore_ledger").fetchall()
    assert sorted((f, sha) for f, sha, _ in ledger) == sorted((s.folder, s.sha256) for s in SEEDS)
    assert all(uid is not None for _, _, uid in ledger)  # Dovecot has UIDPLUS: APPENDUID recorded
    assert archive_state(source_archived) == before  # the archive is only read

    second = source_archived("archive", "restore", "--to", "target", "--json")
    assert second.code == 0, second.output
    assert (second.json["appended"], second.json["present"], second.json["created"]) == (0, len(SEEDS), 0)
    for folder in FOLDERS:
        assert len(server_view(dovecot, b, folder)) == len(expected(folder))


def test_messages_already_on_the_target_are_recognised_by_their_bytes(
    source_archived: CLI, dovecot: Dovecot
) -> None:
    """GIVEN the target already holds one of the two same-Message-ID messages (put there by another client)
    and a different message with that Message-ID and the same size as the other: only the missing ones go."""
    b = target(source_archived, dovecot)
    dup_a = next(s for s in SEEDS if s.raw.endswith(b"first body\r\n"))
    client = imap(dovecot, b)
    client.append("INBOX", None, None, dup_a.raw)
    impostor = raw("same id B", "second bodX\n", "<dup@x>")  # same size and Message-ID, other bytes
    client.append("INBOX", None, None, impostor)
    client.logout()
    result = source_archived("archive", "restore", "--to", "target", "--folder", "INBOX", "--json")
    assert result.code == 0, result.output
    inbox = [s for s in SEEDS if s.folder == "INBOX"]
    assert (result.json["appended"], result.json["present"]) == (len(inbox) - 1, 1)
    shas = sorted(s.sha256 for s in server_view(dovecot, b, "INBOX"))
    assert shas == sorted([*(s.sha256 for s in inbox), hashlib.sha256(impostor).hexdigest()])


def test_folder_map_and_usage_errors(source_archived: CLI, dovecot: Dovecot) -> None:
    b = target(source_archived, dovecot)
    result = source_archived(
        "archive", "restore", "--to", "target", "--from", "source",
        "--folder-map", "客户=Restored/客户", "--folder-map", "INBOX=Restored/收件箱", "--json",
        env={"MAILWARDEN_ARCHIVE__COMPRESS": "always"},  # APPENDs through COMPRESS=DEFLATE too
    )  # fmt: skip
    assert result.code == 0, result.output
    assert server_view(dovecot, b, "Restored/客户/重要") == expected("客户/重要")
    assert server_view(dovecot, b, "Restored/收件箱") == expected("INBOX")
    assert server_view(dovecot, b, "Sent") == expected("Sent")
    bad = source_archived("archive", "restore", "--to", "target", "--folder-map", "nonsense")
    assert bad.code == 2 and "SOURCE=TARGET" in bad.stderr
    query = source_archived("archive", "restore", "--to", "target", "--query", "folder:nowhere")
    assert query.code == 2 and "No archived folder is called nowhere" in query.stderr


def test_kill_9_during_a_restore_then_resume_gives_no_duplicates_and_nothing_missing(
    source_archived: CLI, dovecot: Dovecot, source_user: MailUser
) -> None:
    """GIVEN 300 more messages in INBOX, so that the restore runs long enough to be killed halfway."""
    bulk = [raw(f"bulk {i}", f"message {i} of the bulk\n", f"<bulk{i}@x>") for i in range(300)]
    client = imap(dovecot, source_user)
    for message in bulk:
        client.append("INBOX", "(\\Seen)", None, message)
    client.logout()
    assert source_archived("archive", "sync").code == 0
    b = target(source_archived, dovecot)

    proc = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "archive", "restore", "--to", "target"],
        env=source_archived.env, cwd=source_archived.root,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if len(dovecot.folder_view(b.address, "INBOX")) >= 120:  # past one ledger batch
                break
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    partway = len(dovecot.folder_view(b.address, "INBOX"))
    assert 0 < partway < len(bulk) + 5, "the restore was not caught halfway"

    resumed = source_archived("archive", "restore", "--to", "target", "--json")
    assert resumed.code == 0, resumed.output
    assert resumed.json["appended"] + resumed.json["present"] == len(SEEDS) + len(bulk)
    assert resumed.json["present"] >= partway
    for folder in FOLDERS:
        assert server_view(dovecot, b, folder) == server_view(dovecot, source_user, folder), folder


async def test_a_restore_is_refused_while_another_holds_the_target_and_takes_over_from_a_dead_one(
    source_archived: CLI, dovecot: Dovecot
) -> None:
    """Two restores at once would both append what is missing. A holder killed with -9 blocks nobody."""
    b = target(source_archived, dovecot)
    db = Database(f"sqlite:///{database_file(source_archived)}")
    try:
        box = await mailboxes.get_mailbox(db, "target")
        name = f"restore:mailbox:{box.id}"
        alive = f"{socket.gethostname()}:{os.getpid()}:test"  # this test's own process
        assert await lease.acquire(db, name, alive, timedelta(minutes=5))
        refused = source_archived("archive", "restore", "--to", "target")
        assert refused.code == 2 and "Another restore into target is running" in refused.stderr
        assert dovecot.folder_view(b.address, "INBOX") == []

        dead = f"{socket.gethostname()}:{no_such_pid()}:x"
        assert await lease.take_over(db, name, alive, dead, timedelta(minutes=5))
        taken = source_archived("archive", "restore", "--to", "target", "--json")
        assert taken.code == 0, taken.output
        assert taken.json["appended"] == len(SEEDS)
        assert await lease.holder_of(db, name) is None  # released at the end
    finally:
        await db.dispose()


def test_a_restore_stopped_by_the_server_resumes_where_it_stopped(
    source_archived: CLI, dovecot: Dovecot
) -> None:
    """GIVEN a target whose quota holds only some of the messages: the restore stops with the server's
    refusal (exit 1) and says how to resume; once the quota is raised, the same command completes it."""
    b = target(source_archived, dovecot)
    dovecot.set_quota(b.address, "*:messages=3")
    stopped = source_archived("archive", "restore", "--to", "target")
    assert stopped.code == 1, stopped.output
    assert "OVERQUOTA" in stopped.output or "Quota" in stopped.output
    assert "Run the same command again to resume" in stopped.stdout
    first = sum(len(dovecot.folder_view(b.address, f)) for f in FOLDERS if f != "客户/重要")
    assert 0 < first < len(SEEDS)

    dovecot.set_quota(b.address, "*:messages=1000")
    resumed = source_archived("archive", "restore", "--to", "target", "--json")
    assert resumed.code == 0, resumed.output
    assert (resumed.json["appended"], resumed.json["present"]) == (len(SEEDS) - first, first)
    for folder in FOLDERS:
        assert server_view(dovecot, b, folder) == expected(folder), folder
    with sqlite3.connect(database_file(source_archived)) as conn:
        events = conn.execute(
            "SELECT action, target, actor, detail FROM audit_events ORDER BY seq"
        ).fetchall()
    assert [(a, t) for a, t, _, _ in events] == [("archive.restore", "target")] * 2  # each run, failed or not
    assert all(actor.startswith("cli:") for _, _, actor, _ in events)
    failed, done = (json.loads(detail) for *_, detail in events)
    assert (failed["outcome"], failed["error"]["kind"], failed["mailboxes"]) == (
        "failed",
        "imap_error",
        ["source"],
    )
    assert (done["outcome"], done["result"]["appended"]) == ("ok", len(SEEDS) - first)


def test_a_message_the_target_cannot_take_is_reported_and_the_others_are_restored(
    source_archived: CLI, dovecot: Dovecot
) -> None:
    """GIVEN an archived message with a NUL byte (a plain IMAP literal cannot carry it): it is listed as not
    restored, exit 1, and every other message is restored; a second run appends nothing more."""
    b = target(source_archived, dovecot)
    nul = b"From: x@example.test\r\nSubject: nul\r\nMessage-ID: <nl@x>\r\n\r\na\x00b\r\n"
    [blobs] = source_archived.root.glob("**/archive/blobs")
    store = BlobStore(blobs)
    ref = store.put(nul)
    store.sync()
    with sqlite3.connect(database_file(source_archived)) as conn:
        conn.execute(
            "INSERT INTO archive_blobs SELECT ?, ?, ?, created_at FROM archive_blobs LIMIT 1",
            (ref.sha256, ref.size, ref.stored_size),
        )
        changed = conn.execute(
            "UPDATE archive_messages SET sha256 = ?, size = ? WHERE message_id = 'nl@x'",
            (ref.sha256, ref.size),
        )
        assert changed.rowcount == 1
    for attempt in range(2):
        result = source_archived("archive", "restore", "--to", "target", "--json")
        assert result.code == 1, result.output
        assert result.json["ok"] is False
        [failed] = result.json["failed"]
        assert (failed["folder"], failed["message_id"]) == ("客户/重要", "nl@x")
        assert result.json["appended"] == (len(SEEDS) - 1 if attempt == 0 else 0)
    text = source_archived("archive", "restore", "--to", "target")
    assert "Not restored: 客户/重要 UID" in text.stdout
    for folder in FOLDERS:
        want = [
            s for s in expected(folder) if s.sha256 != next(x.sha256 for x in SEEDS if b"<nl@x>" in x.raw)
        ]
        assert server_view(dovecot, b, folder) == want, folder
