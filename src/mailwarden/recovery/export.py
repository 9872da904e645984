"""``archive export``: the archived messages as eml files in a zip, mbox files, or maildirs, plus a manifest.

Guarantees (docs/operations.md):

* the exported bytes are the archived raw bytes: each blob is re-hashed while it is written and a mismatch
  stops the export (mbox adds only its reversible ``>From`` quoting and separators);
* everything is written under a hidden temporary name next to ``--out`` and renamed when complete, after the
  data is flushed to disk: an interrupted export leaves no file or folder under the final name;
* ``manifest.json`` lists, per message, the mailbox, folder, UIDVALIDITY, UID, Message-ID, internal date,
  flags, sha256, size and where it is in the export.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import logging
import os
import shutil
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from mailwarden.archive.blobstore import CHUNK, BlobStore
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, StorageError
from mailwarden.recovery import mboxrd
from mailwarden.recovery.layout import folder_path
from mailwarden.recovery.selection import Item

__all__ = ["FORMATS", "ExportReport", "export_items", "maildir_info"]

FORMATS = ("eml-zip", "mbox", "maildir")
log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
#: IMAP system flags and the common keyword for "forwarded" -> Maildir info letters (ASCII order on disk)
_MAILDIR_FLAGS = {
    "\\draft": "D",
    "\\flagged": "F",
    "$forwarded": "P",
    "\\answered": "R",
    "\\seen": "S",
    "\\deleted": "T",
}


class _Writer(Protocol):
    def add(self, item: Item) -> dict[str, Any]: ...

    def finish(self, manifest: bytes) -> None: ...

    def close(self) -> None:
        """Release open files (after a failure; :meth:`finish` closes them otherwise)."""


@dataclass
class ExportReport:
    path: Path
    format: str
    messages: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "format": self.format, "messages": self.messages, "bytes": self.bytes}


def maildir_info(flags: Sequence[str]) -> str:
    """``2,FS``: the flags a maildir name can carry (other keywords are in the manifest only)."""
    letters = sorted({_MAILDIR_FLAGS[f.lower()] for f in flags if f.lower() in _MAILDIR_FLAGS})
    return "2," + "".join(letters)


def export_items(
    store: BlobStore,
    items: Sequence[Item],
    fmt: str,
    out: Path,
    on_message: Callable[[Item], None] | None = None,
    stop: threading.Event | None = None,
) -> ExportReport:
    """Write ``items`` to ``out`` in format ``fmt``. Blocking file I/O: call it on a thread.

    ``stop`` set (Ctrl-C on the event loop) ends the export between two messages, removing what was written:
    a thread cannot be cancelled, and one left running would finish and rename the export after the user
    asked it to stop.
    """
    if fmt not in FORMATS:
        raise InputError("recovery.unknown_format", format=fmt, formats=", ".join(FORMATS))
    if out.exists() or out.is_symlink():
        raise ConflictError("recovery.out_exists", path=str(out))
    if not out.parent.is_dir():
        raise InputError("recovery.out_parent_missing", path=str(out.parent))
    temporary = out.with_name(f".{out.name}.partial-{os.urandom(4).hex()}")
    writers: dict[str, Callable[[BlobStore, Path], _Writer]] = {
        "eml-zip": _ZipWriter,
        "mbox": _MboxWriter,
        "maildir": _MaildirWriter,
    }
    writer: _Writer | None = None
    entries: list[dict[str, Any]] = []
    total = 0
    try:
        writer = writers[fmt](store, temporary)
        for item in items:
            if stop is not None and stop.is_set():
                raise asyncio.CancelledError("export stopped")
            entry = _entry(item)
            entry.update(writer.add(item))
            entries.append(entry)
            total += item.size
            if on_message is not None:
                on_message(item)
        manifest = {
            "format": fmt,
            "created_at": clock.now().isoformat(),
            "messages": len(entries),
            "bytes": total,
            "entries": entries,
        }
        writer.finish(json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        os.sync()  # the data is on disk before the final name appears
        os.rename(temporary, out)
    except OSError as exc:
        _abandon(writer, temporary)
        raise StorageError("recovery.write_failed", path=str(out), error=exc.strerror or str(exc)) from exc
    except BaseException:
        _abandon(writer, temporary)
        raise
    return ExportReport(out, fmt, len(entries), total)


def _entry(item: Item) -> dict[str, Any]:
    return {
        "mailbox": item.mailbox,
        "folder": item.folder,
        "uidvalidity": item.uidvalidity,
        "uid": item.uid,
        "message_id": item.message_id,
        "internal_date": item.internal_date.isoformat() if item.internal_date else None,
        "flags": list(item.flags),
        "sha256": item.sha256,
        "size": item.size,
        "gone": item.gone,
    }


def _abandon(writer: _Writer | None, temporary: Path) -> None:
    if writer is not None:
        writer.close()
    _remove(temporary)


def _remove(path: Path) -> None:
    """Delete a partial export. A failure here is logged, not raised: the error that stopped the export is
    the one to report, and the partial has a hidden name that no reader mistakes for an export."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:  # a name that cannot exist was never created
            log.warning("could not remove the partial export %s: %s", path, exc.strerror or exc)


def _copy_checked(store: BlobStore, item: Item, target: IO[bytes]) -> None:
    """Stream the blob into ``target``, hashing on the way: the export holds the archived bytes or fails."""
    digest = hashlib.sha256()
    size = 0
    with store.open(item.sha256) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    _check(item, digest.hexdigest(), size)


def _check(item: Item, sha: str, size: int) -> None:
    if sha != item.sha256 or size != item.size:
        raise StorageError(
            "recovery.blob_mismatch", sha256=item.sha256, folder=item.folder, uid=item.uid, permanent=True
        )


class _ZipWriter:
    def __init__(self, store: BlobStore, path: Path) -> None:
        self.store = store
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)

    def add(self, item: Item) -> dict[str, Any]:
        name = f"{folder_path(item)}/{item.uidvalidity}-{item.uid}.eml"
        when = (item.internal_date or datetime(1980, 1, 1, tzinfo=UTC)).astimezone(UTC)
        info = zipfile.ZipInfo(name, date_time=max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0)))
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.zip.open(info, "w", force_zip64=True) as target:
            _copy_checked(self.store, item, target)
        return {"path": name}

    def finish(self, manifest: bytes) -> None:
        self.zip.writestr(MANIFEST, manifest)
        self.zip.close()

    def close(self) -> None:
        self.zip.close()  # the entry being written was closed by its own ``with``


class _MboxWriter:
    """One mbox file per folder: ``mailbox/folder.mbox``; ``index`` is the message's place in it."""

    def __init__(self, store: BlobStore, path: Path) -> None:
        self.store = store
        self.root = path
        path.mkdir()
        # one file open at a time (the items come folder by folder): thousands of folders must not
        # exhaust the descriptors
        self.name: str | None = None
        self.out: BinaryIO | None = None
        self.counts: dict[str, int] = {}

    def _file(self, name: str) -> BinaryIO:
        if self.name != name or self.out is None:
            if self.out is not None:
                self.out.close()
            target = self.root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            self.out = target.open("ab" if name in self.counts else "xb")
            self.name = name
            self.counts.setdefault(name, 0)
        return self.out

    def add(self, item: Item) -> dict[str, Any]:
        name = f"{folder_path(item)}.mbox"
        out = self._file(name)
        raw = self.store.read(item.sha256)  # quoting works on lines: a message at a time in memory
        _check(item, hashlib.sha256(raw).hexdigest(), len(raw))
        out.write(mboxrd.from_line(item.from_addr, item.internal_date))
        out.write(mboxrd.quote(raw))
        added_newline = not raw.endswith(b"\n")
        out.write(b"\n\n" if added_newline else b"\n")
        index = self.counts[name]
        self.counts[name] += 1
        entry: dict[str, Any] = {"path": name, "index": index}
        if added_newline:
            entry["mbox_added_newline"] = True
        return entry

    def finish(self, manifest: bytes) -> None:
        self.close()
        (self.root / MANIFEST).write_bytes(manifest)

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


class _MaildirWriter:
    """One maildir per folder, ``mailbox/folder/{cur,new,tmp}``; flags in the ``:2,`` info suffix, the
    internal date as the file's mtime (as Dovecot reads it)."""

    def __init__(self, store: BlobStore, path: Path) -> None:
        self.store = store
        self.root = path
        path.mkdir()
        self.made: set[str] = set()

    def add(self, item: Item) -> dict[str, Any]:
        folder = folder_path(item)
        if folder not in self.made:
            for sub in ("cur", "new", "tmp"):
                (self.root / folder / sub).mkdir(parents=True, exist_ok=True)
            self.made.add(folder)
        stamp = int(item.internal_date.timestamp()) if item.internal_date else 0
        base = f"{stamp}.M{item.uid}V{item.uidvalidity}.mailwarden,S={item.size}"
        name = f"{folder}/cur/{base}:{maildir_info(item.flags)}"
        target = self.root / name
        with target.open("xb") as handle:
            _copy_checked(self.store, item, handle)
        if item.internal_date is not None:
            os.utime(target, (stamp, stamp))
        return {"path": name}

    def finish(self, manifest: bytes) -> None:
        (self.root / MANIFEST).write_bytes(manifest)

    def close(self) -> None:
        pass  # each message's file is closed as soon as it is written
