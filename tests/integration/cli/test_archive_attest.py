"""``mailwarden archive attest`` on an archive synced from the lab Dovecot, then tampered with."""

from __future__ import annotations

from pathlib import Path

import pytest
import zstandard

from cli_runner import CLI
from integrity_lab import SHARED, blob_path, clone, sql
from recovery_lab import SEEDS


@pytest.fixture
def archive(integrity_template: CLI, tmp_path: Path) -> CLI:
    return clone(integrity_template, tmp_path / "copy")


def attest(cli: CLI, *args: str) -> tuple[int, dict[str, object]]:
    result = cli("archive", "attest", "--json", *args)
    return result.code, result.json


def test_a_clean_archive_attests_with_exit_0(archive: CLI) -> None:
    result = archive("archive", "attest")
    assert result.code == 0, result.output
    assert "Blobs intact: 8 re-hashed" in result.stdout
    code, report = attest(archive)
    seals = report["seals"]
    assert code == 0 and isinstance(seals, dict)
    assert (seals["seals"], seals["rows"], seals["unsealed"]) == (1, len(SEEDS) + 1, 0)
    assert report["blobs"] == {"ok": True, "checked": len(SEEDS), "missing": 0, "damaged": 0, "broken": []}


def test_a_modified_and_a_deleted_blob_file_are_named_with_a_message_that_needs_each(archive: CLI) -> None:
    forged, lost = SEEDS[5], SEEDS[6]  # the Sent reply; the first of 客户/重要
    blob_path(archive, forged.sha256).write_bytes(zstandard.ZstdCompressor().compress(b"Subject: forged\r\n"))
    blob_path(archive, lost.sha256).unlink()
    code, report = attest(archive)
    blobs = report["blobs"]
    assert code == 1 and isinstance(blobs, dict)
    assert (blobs["missing"], blobs["damaged"]) == (1, 1)
    assert sorted(blobs["broken"], key=lambda b: b["kind"]) == [
        {"sha256": forged.sha256, "kind": "damaged", "folder": "Sent", "uid": 1, "message_id": "r1@x"},
        {"sha256": lost.sha256, "kind": "missing", "folder": "客户/重要", "uid": 1, "message_id": "lc@x"},
    ]
    assert report["audit"]["ok"] and report["seals"]["ok"]  # type: ignore[index]
    text = archive("archive", "attest", "--lang", "zh-CN")
    assert text.code == 1 and f"归档文件 {forged.sha256} 已损坏" in text.stdout
    assert f"缺失归档文件 {lost.sha256}" in text.stdout
    assert attest(archive, "--no-blobs") == (0, {**report, "ok": True, "blobs": None})


def test_a_deleted_audit_row_is_named_by_its_seq(archive: CLI) -> None:
    for args in (
        ("archive", "retention", "set", "sales", "--keep", "10y"),
        ("archive", "hold", "add", "case-1", "--mailbox", "sales", "--reason", "dispute"),
        ("archive", "hold", "release", "case-1"),
    ):
        assert archive(*args).code == 0
    code, report = attest(archive, "--no-blobs")
    head = report["audit"]["head_hash"]  # type: ignore[index]
    assert code == 0 and report["audit"]["events"] == 3  # type: ignore[index]
    sql(archive, "DELETE FROM audit_events WHERE seq = 2")
    code, report = attest(archive, "--no-blobs")
    assert code == 1
    assert report["audit"]["broken"] == {  # type: ignore[index]
        "kind": "missing",
        "seq": 2,
        "detail": "the next event present is 3",
    }
    text = archive("archive", "attest", "--no-blobs", "--expect-head", str(head))
    assert text.code == 1 and "event 2 was deleted" in text.stdout


def test_events_deleted_from_the_end_with_the_head_rewritten_fail_the_expected_head(archive: CLI) -> None:
    assert archive("archive", "retention", "set", "sales", "--keep", "10y").code == 0
    assert archive("archive", "retention", "set", "sales", "--keep", "12y").code == 0
    _, report = attest(archive, "--no-blobs")
    head = str(report["audit"]["head_hash"])  # type: ignore[index]
    assert attest(archive, "--no-blobs", "--expect-head", head)[1]["audit"]["anchor_seq"] == 2  # type: ignore[index]
    sql(archive, "DELETE FROM audit_events WHERE seq = 2")
    sql(archive, "UPDATE audit_heads SET seq = 1, hash = (SELECT hash FROM audit_events WHERE seq = 1)")
    assert attest(archive, "--no-blobs")[0] == 0  # consistent in itself
    code, report = attest(archive, "--no-blobs", "--expect-head", head)
    assert code == 1 and report["audit"]["broken"]["kind"] == "anchor"  # type: ignore[index]


def test_a_changed_sha256_in_an_archive_row_breaks_the_seal_at_that_row(archive: CLI) -> None:
    (row_id,) = sql(archive, "SELECT id FROM archive_messages WHERE message_id = 'lc@x'")[0]
    sql(archive, "UPDATE archive_messages SET sha256 = ? WHERE id = ?", SHARED.sha256, row_id)
    code, report = attest(archive, "--no-blobs")
    broken = report["seals"]["broken"]  # type: ignore[index]
    assert code == 1
    assert (broken["kind"], broken["seal"], broken["row_id"]) == ("modified", 1, row_id)
    assert "客户/重要 UID 1" in broken["detail"]


def test_a_deleted_archive_row_breaks_the_seal(archive: CLI) -> None:
    sql(archive, "PRAGMA foreign_keys = OFF")
    (row_id,) = sql(archive, "SELECT max(id) FROM archive_messages")[0]
    sql(archive, "DELETE FROM archive_messages WHERE id = ?", row_id)
    code, report = attest(archive, "--no-blobs")
    broken = report["seals"]["broken"]  # type: ignore[index]
    assert code == 1 and broken["row_id"] == row_id and "deleted" in broken["detail"]


def test_deleted_seals_fail_the_expected_seal_head(archive: CLI) -> None:
    _, report = attest(archive, "--no-blobs")
    head = str(report["seals"]["head_hash"])  # type: ignore[index]
    code, report = attest(archive, "--no-blobs", "--expect-seal", head)
    assert code == 0 and report["seals"]["anchor_seal"] == 1  # type: ignore[index]
    sql(archive, "DELETE FROM archive_seals")
    assert attest(archive, "--no-blobs")[0] == 0  # no seal left to contradict the rows
    code, report = attest(archive, "--no-blobs", "--expect-seal", head)
    assert code == 1 and report["seals"]["broken"]["kind"] == "anchor"  # type: ignore[index]
