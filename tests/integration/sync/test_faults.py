"""Crash and network-fault tests: kill -9 at random points, a connection cut inside a literal, odd mail.

After every fault the next pass must leave the archive holding exactly the server's messages — by
(folder, UID) and content hash — with no duplicates and nothing half-written.
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import os
import random
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Blob, Folder, Message, SyncRun
from mailwarden.core.errors import NetworkError, StorageError
from mailwarden.core.secrets import SecretValue
from mailwarden.imap import utf7
from mailwarden.sync.service import run_sync

from archive_env import Archive, make_message
from lab.dovecot import Dovecot, MailUser
from lab.faultproxy import FaultProxy

FOLDERS = ("INBOX", "Sent", "客户/ACME")


def server_state(
    dovecot: Dovecot, user: MailUser, archive: Archive | None = None
) -> dict[str, dict[int, str]]:
    import imaplib
    import ssl

    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    state: dict[str, dict[int, str]] = {}
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=context) as imap:
        imap.login(user.address, user.password)
        for folder in FOLDERS:
            imap.select(f'"{utf7.encode(folder).decode()}"', readonly=True)
            _, data = imap.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
            state[folder] = {
                int(item[0].split(b"UID ")[1].split()[0]): hashlib.sha256(item[1]).hexdigest()
                for item in data
                if isinstance(item, tuple)
            }
    return state


def body(rng: random.Random, size: int) -> str:
    line = "报价 Proforma Invoice FOB Ningbo L/C at sight 信用证 " * 2
    text = (line + "\n") * (size // (len(line.encode()) + 1) + 1)
    return text[:size] + f"\n{rng.random()}"


def load(archive_user: MailUser, dovecot: Dovecot, rng: random.Random, count: int) -> None:
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=context) as imap:
        imap.login(archive_user.address, archive_user.password)
        for folder in FOLDERS[1:]:
            imap.create(f'"{utf7.encode(folder).decode()}"')
        for i in range(count):
            size = rng.choice([800, 3000, 12000, 60000, 400_000]) if i % 25 else 1_500_000
            raw = make_message(f"询盘 {i}", body(rng, size))
            folder = rng.choice(FOLDERS)
            imap.append(f'"{utf7.encode(folder).decode()}"', None, None, raw)


def archive_state(db_file: Path) -> tuple[dict[str, dict[int, str]], Counter[tuple[str, int, int]]]:
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute(
            "SELECT f.name, m.uidvalidity, m.uid, m.sha256 FROM archive_messages m"
            " JOIN archive_folders f ON f.id = m.folder_id WHERE m.gone_at IS NULL AND f.state = 'active'"
        ).fetchall()
    state: dict[str, dict[int, str]] = {}
    copies: Counter[tuple[str, int, int]] = Counter()
    for name, uidvalidity, uid, sha in rows:
        state.setdefault(name, {})[uid] = sha
        copies[(name, uidvalidity, uid)] += 1
    return state, copies


def test_kill_9_at_random_points_then_resume(tmp_path: Path, dovecot: Dovecot, mail_user: MailUser) -> None:
    """GIVEN a mailbox of mixed sizes in three folders WHEN `archive sync` is killed with SIGKILL at random
    points 24 times (with new mail arriving in between) THEN a final sync leaves the archive equal to the
    server, with no duplicates, every blob intact, and `archive verify` clean."""
    rng = random.Random(20261127)
    load(mail_user, dovecot, rng, 600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
    env["MAILWARDEN_CONFIG"] = str(tmp_path / "mailwarden.toml")

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mailwarden", *args], input=stdin, env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    assert cli("init").returncode == 0
    added = cli(
        "mailbox", "add", "sales", "--address", mail_user.address, "--username", mail_user.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", dovecot.host, "--smtp-port", "25", "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--password-stdin", stdin=mail_user.password,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    kills = 0
    for round_ in range(24):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailwarden", "archive", "sync"],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            proc.wait(timeout=rng.uniform(0.5, 2.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if round_ % 2 == 1:
            load(mail_user, dovecot, rng, 20)  # the server moves on between crashes: every run has work
    assert kills >= 12, "too few runs were killed mid-way to mean anything"

    final = cli("archive", "sync", "--json")
    assert final.returncode == 0, final.stdout + final.stderr
    archived, copies = archive_state(tmp_path / "data" / "mailwarden.db")
    assert archived == server_state(dovecot, mail_user)
    assert max(copies.values()) == 1
    verify = cli("archive", "verify", "--deep", "--json")
    assert verify.returncode == 0, verify.stdout
    leftovers = list((tmp_path / "data" / "archive" / "blobs" / "tmp").iterdir())
    assert leftovers == []
    # nothing of the killed runs lives on: no worker, no fork server, no resource tracker
    assert survivors(env["MAILWARDEN_CONFIG"]) == []


def survivors(config: str, patience: float = 15.0) -> list[str]:
    """Processes started with this MAILWARDEN_CONFIG that are still running (after ``patience`` s)."""
    marker = f"MAILWARDEN_CONFIG={config}".encode()
    deadline = time.monotonic() + patience
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                environ = (proc / "environ").read_bytes().split(b"\0")
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue  # gone meanwhile, or not ours to read
            if marker in environ:
                found.append(f"{proc.name}: {cmdline[:120]}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


async def test_a_connection_cut_inside_a_literal_stores_nothing_half(
    archive: Archive, fault_proxy: Callable[[int], FaultProxy]
) -> None:
    archive.dovecot.deliver(archive.user.address, make_message("small"))
    archive.dovecot.deliver(archive.user.address, make_message("big", "x" * 3_000_000))
    proxy = fault_proxy(archive.dovecot.imaps_port)
    archive.mailbox.imap_port = proxy.port
    # the connection is TLS, so the cut is placed by volume: a third of the way into the big literal
    proxy.cut_after(bytes_from_server=1_000_000)
    with pytest.raises(NetworkError):
        await archive.sync()
    async with archive.db.session() as session:
        stored = list(await session.scalars(select(Message.subject)))
    assert "big" not in stored
    assert not list((archive.store.root / "tmp").iterdir())
    proxy.heal()
    await archive.sync()
    async with archive.db.session() as session:
        subjects = sorted(await session.scalars(select(Message.subject)))
    assert subjects == ["big", "small"]


async def test_odd_messages_are_all_kept(archive: Archive) -> None:
    """No Message-ID; two different messages sharing one Message-ID; a 20 MB attachment."""
    user = archive.user.address
    no_id = b"From: a@customer.example\r\nSubject: no id\r\n\r\nhello\r\n"
    archive.dovecot.deliver(user, no_id)
    archive.dovecot.deliver(
        user, make_message("same id A", "first body", message_id="<dup@customer.example>")
    )
    archive.dovecot.deliver(
        user, make_message("same id B", "second body", message_id="<dup@customer.example>")
    )
    attachment = os.urandom(15 * 1024 * 1024)
    encoded = base64.encodebytes(attachment).replace(b"\n", b"\r\n")
    big = (
        b"From: a@customer.example\r\nSubject: catalogue\r\nMessage-ID: <big@customer.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: application/pdf; name=cat.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--b--\r\n"
    )
    archive.dovecot.deliver(user, big)
    await archive.sync()
    async with archive.db.session() as session:
        rows = {m.subject: m for m in await session.scalars(select(Message))}
        blobs = await session.scalar(select(func.count()).select_from(Blob))
    assert set(rows) == {"no id", "same id A", "same id B", "catalogue"}
    assert rows["no id"].message_id is None
    assert rows["same id A"].message_id == rows["same id B"].message_id == "dup@customer.example"
    assert rows["same id A"].sha256 != rows["same id B"].sha256
    assert blobs == 4
    catalogue = rows["catalogue"]
    assert catalogue.size > 20 * 1024 * 1024
    assert catalogue.attachments[0]["sha256"] == hashlib.sha256(attachment).hexdigest()
    assert archive.store.verify(catalogue.sha256)


async def test_a_folder_with_a_listing_over_a_thousand_lines(archive: Archive) -> None:
    with archive.imap() as imap:
        imap.create("Bulk")
        for i in range(1_200):
            imap.append("Bulk", "(\\Seen)" if i % 3 else None, None, make_message(f"bulk {i}"))
    outcome = await archive.sync()
    assert outcome.total("fetched") == 1_200
    # and the flag listing of all 1,200 on the next full pass
    outcome = await archive.sync(full=True)
    assert outcome.total("fetched") == 0
    assert outcome.total("flag_changes") == 0


class _FullDisk(BlobStore):
    """A store whose first sync fails as a full disk makes it (the pass's own component, made to fail)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.failed = False

    def sync(self) -> int:
        if not self.failed:
            self.failed = True
            raise StorageError(detail="cannot make blobs durable: No space left on device")
        return super().sync()


async def test_a_failed_commit_at_a_folders_end_is_raised_and_its_state_not_saved(archive: Archive) -> None:
    """A folder's last commit runs while the next folder is fetched; when it fails, the pass fails and no
    folder's state claims messages that are not stored."""
    user = archive.user.address
    for folder in ("Sent", "客户/ACME"):
        archive.dovecot.create_folder(user, folder)
        for i in range(3):
            archive.append(folder, make_message(f"{folder} {i}"))
    failing = _FullDisk(archive.store.root)
    with pytest.raises(StorageError):
        await run_sync(archive.db, failing, archive.mailbox, SecretValue(archive.user.password))
    async with archive.db.session() as session:
        folders = list(await session.scalars(select(Folder)))
        stored = Counter(
            (await session.execute(select(Message.folder_id).where(Message.gone_at.is_(None)))).scalars()
        )
        run = await session.scalar(select(SyncRun))
    assert run is not None
    assert (run.status, run.error_kind) == ("failed", "storage_error")
    done = [f for f in folders if f.last_synced_at is not None]
    assert len(done) < len(folders)  # at least the folder whose commit failed is not marked done
    for folder in folders:
        if folder.last_synced_at is not None:
            assert stored[folder.id] == folder.server_messages
    await archive.sync()
    async with archive.db.session() as session:
        rows = await session.execute(
            select(Folder.name, Message.uid, Message.sha256)
            .join(Folder, Folder.id == Message.folder_id)
            .where(Message.gone_at.is_(None))
        )
        archived: dict[str, dict[int, str]] = {}
        for name, uid, sha in rows:
            archived.setdefault(name, {})[uid] = sha
    server = server_state(archive.dovecot, archive.user)
    assert archived == {name: uids for name, uids in server.items() if uids}
