"""``mailwarden archive export`` as a user runs it, against an account archived from the lab Dovecot."""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import zstandard

from mailwarden.recovery import mboxrd

from cli_runner import CLI
from lab.dovecot import Dovecot
from recovery_lab import FOLDERS, SEEDS, add_mailbox, imap, quoted, raw, seed, server_view

GONE = raw("deleted later", "This one was expunged on the server.\n", "<gone@x>")


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory, dovecot: Dovecot) -> CLI:
    """GIVEN an account with the seed messages plus one expunged after it was archived, synced once."""
    cli = CLI(tmp_path_factory.mktemp("export"))
    assert cli("init").code == 0
    user = dovecot.add_user()
    seed(dovecot, user)
    client = imap(dovecot, user)
    client.append("INBOX", None, None, GONE)
    client.logout()
    add_mailbox(cli, dovecot, user, "source")
    assert cli("archive", "sync").code == 0
    client = imap(dovecot, user)
    client.select("INBOX")
    typ, found = client.search(None, "HEADER", "Message-ID", "<gone@x>")
    assert typ == "OK", found
    client.store(found[0].decode(), "+FLAGS", "\\Deleted")
    client.expunge()
    client.logout()
    assert cli("archive", "sync").code == 0
    return cli


def manifest_of(path: Path) -> dict[str, object]:
    return json.loads((path / "manifest.json").read_text())  # type: ignore[no-any-return]


def seed_hashes(folder: str | None = None) -> list[str]:
    return sorted(s.sha256 for s in SEEDS if folder is None or s.folder == folder)


def test_mbox_export_imported_into_a_fresh_account_gives_the_same_hashes(
    archived: CLI, dovecot: Dovecot
) -> None:
    out = archived.root / "all.mbox.d"
    result = archived("archive", "export", "--format", "mbox", "--out", str(out), "--json")
    assert result.code == 0, result.output
    assert result.json["messages"] == len(SEEDS)
    manifest = manifest_of(out)
    entries = manifest["entries"]
    assert isinstance(entries, list)

    fresh = dovecot.add_user()
    for folder in FOLDERS[1:]:
        dovecot.create_folder(fresh.address, folder)
    client = imap(dovecot, fresh)
    for path in sorted({e["path"] for e in entries}):
        mine = [e for e in entries if e["path"] == path]
        with (out / path).open("rb") as stream:
            messages = list(mboxrd.read_messages(stream))
        assert len(messages) == len(mine)
        for entry, message in zip(mine, messages, strict=True):
            if entry.get("mbox_added_newline"):
                message = message[:-1]
            assert hashlib.sha256(message).hexdigest() == entry["sha256"]
            typ, data = client.append(quoted(entry["folder"]), None, None, message)
            assert typ == "OK", data
    client.logout()
    for folder in FOLDERS:
        assert [s.sha256 for s in server_view(dovecot, fresh, folder)] == seed_hashes(folder)
    # a reader that is not ours splits the files the same way
    inbox = mailbox.mbox(out / "source" / "INBOX.mbox", create=False)
    subjects = sorted(str(m["Subject"]) for m in inbox if str(m["Subject"]).isascii())
    assert len(inbox) == 5 and subjects == ["from lines", "no id", "same id A", "same id B"]
    inbox.close()


def test_mbox_from_lines_are_escaped_reversibly(archived: CLI) -> None:
    out = archived.root / "inbox.mbox.d"
    result = archived("archive", "export", "--format", "mbox", "--out", str(out), "--message-id", "f@x")
    assert result.code == 0, result.output
    text = (out / "source" / "INBOX.mbox").read_bytes()
    assert text.count(b"\nFrom ") == 0  # the only unquoted From line is the separator at the very start
    assert b"\r\n>From here on" in text and b"\r\n>>From the quote" in text and b"\r\n>>>From x" in text
    assert text.startswith(b"From buyer@customer.example Tue Mar  5 18:00:00 2024\n")


def test_eml_zip_matches_its_manifest(archived: CLI) -> None:
    out = archived.root / "all.zip"
    result = archived("archive", "export", "--format", "eml-zip", "--out", str(out))
    assert result.code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        entries = manifest["entries"]
        assert sorted(e["sha256"] for e in entries) == seed_hashes()
        for entry in entries:
            assert hashlib.sha256(zf.read(entry["path"])).hexdigest() == entry["sha256"]
    by_sha = {e["sha256"]: e for e in entries}
    first = by_sha[SEEDS[0].sha256]
    assert (first["folder"], first["message_id"], first["flags"]) == ("INBOX", "q1@x", ["\\Seen"])
    assert first["internal_date"] == "2024-03-01T01:15:00+00:00"
    assert first["uid"] >= 1 and first["uidvalidity"] > 0
    assert by_sha[SEEDS[1].sha256]["message_id"] is None
    assert {e["folder"] for e in entries} == set(FOLDERS)


def test_maildir_has_a_folder_per_archived_folder_with_flags_and_dates(archived: CLI) -> None:
    out = archived.root / "maildir"
    result = archived("archive", "export", "--format", "maildir", "--out", str(out))
    assert result.code == 0, result.output
    entries = manifest_of(out)["entries"]
    assert isinstance(entries, list)
    assert sorted(e["sha256"] for e in entries) == seed_hashes()
    assert (out / "source" / "客户" / "重要" / "cur").is_dir()
    for entry in entries:
        path = out / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    answered = next(e for e in entries if e["message_id"] == "f@x")
    assert answered["path"].endswith(":2,RS")
    mtime = os.stat(out / answered["path"]).st_mtime
    assert mtime == 1709661600  # 2024-03-05 13:00:00 -0500
    forwarded = next(e for e in entries if "$Forwarded" in e["flags"])
    assert forwarded["path"].endswith(":2,P")
    # and a maildir reader that is not ours agrees
    inbox = mailbox.Maildir(out / "source" / "INBOX", create=False)
    flags = sorted(message.get_flags() for message in inbox)
    assert flags == sorted(["S", "", "F", "P", "RS"])
    inbox.close()


def test_filters_and_tombstones(archived: CLI) -> None:
    def count(*args: str) -> int:
        out = archived.root / f"f{os.urandom(3).hex()}.zip"
        result = archived("archive", "export", "--out", str(out), "--json", *args)
        assert result.code == 0, result.output
        return int(result.json["messages"])

    assert count() == len(SEEDS)
    assert count("--include-gone") == len(SEEDS) + 1
    assert count("--message-id", "<dup@x>") == 2
    assert count("--folder", "客户/重要", "--folder", "Sent") == 3
    assert count("--since", "2024-03-05", "--before", "2024-03-07") == 2
    assert count("--query", "询盘") == 1  # the search index, kept current by archive sync
    assert count("--query", "报价 OR 信用证", "--folder", "Sent") == 1
    assert count("--query", "deleted later", "--include-gone") == 1


def test_usage_errors_write_nothing(archived: CLI) -> None:
    taken = archived.root / "taken.zip"
    taken.write_bytes(b"keep me")
    result = archived("archive", "export", "--out", str(taken))
    assert result.code == 2 and "exists already" in result.stderr
    assert taken.read_bytes() == b"keep me"
    query = archived("archive", "export", "--out", str(archived.root / "q.zip"), "--query", '"open')
    assert query.code == 2 and "is not closed" in query.stderr
    assert not (archived.root / "q.zip").exists()
    bad = archived("archive", "export", "--out", str(archived.root / "b.zip"), "--format", "pst")
    assert bad.code == 2
    date = archived("archive", "export", "--out", str(archived.root / "d.zip"), "--since", "March")
    assert date.code == 2 and "Not a date" in date.stderr


def test_a_damaged_blob_stops_the_export_and_leaves_nothing_under_the_final_name(archived: CLI) -> None:
    last = SEEDS[-1]  # exported last (客户/重要 sorts after INBOX and Sent): the others are written first
    [blob] = archived.root.glob(f"**/blobs/{last.sha256[:2]}/{last.sha256}.zst")
    good = blob.read_bytes()
    blob.write_bytes(zstandard.ZstdCompressor().compress(last.raw + b"tampered"))
    try:
        out = archived.root / "damaged.mbox.d"
        result = archived("archive", "export", "--format", "mbox", "--out", str(out))
    finally:
        blob.write_bytes(good)
    assert result.code == 1, result.output
    assert "does not match its hash" in result.stderr
    assert not out.exists()
    assert not list(archived.root.glob(".damaged.mbox.d.partial-*"))


def test_an_export_killed_halfway_leaves_nothing_under_the_final_name(archived: CLI) -> None:
    """GIVEN the last message's blob replaced by a FIFO, the export blocks there, the others written and the
    last one's file created empty; WHEN it is killed with -9 THEN the final name does not exist, only a hidden
    partial next to it."""
    last = SEEDS[-1]
    [blob] = archived.root.glob(f"**/blobs/{last.sha256[:2]}/{last.sha256}.zst")
    good = blob.read_bytes()
    blob.unlink()
    os.mkfifo(blob)
    out = archived.root / "killed.maildir"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "archive", "export", "--format", "maildir", "--out", str(out)],
        env=archived.env, cwd=archived.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        written: list[Path] = []
        while time.monotonic() < deadline and len(written) < len(SEEDS) and proc.poll() is None:
            written = list(archived.root.glob(".killed.maildir.partial-*/source/**/cur/*"))
            time.sleep(0.02)
        assert len(written) == len(SEEDS), "the export did not reach the blocked message"
        assert sorted(p.stat().st_size == 0 for p in written) == [False] * (len(SEEDS) - 1) + [True]
    finally:
        proc.kill()
        proc.wait()
        blob.unlink()
        blob.write_bytes(good)
    assert not out.exists()
    assert len(list(archived.root.glob(".killed.maildir.partial-*"))) == 1
    again = archived("archive", "export", "--format", "maildir", "--out", str(out))
    assert again.code == 0, again.output
    assert len(list(out.glob("source/**/cur/*"))) == len(SEEDS)
