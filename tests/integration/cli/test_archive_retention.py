"""Retention, legal holds and purges as a user runs them, on an archive synced from the lab Dovecot.

The seeds were received in March 2024: a one-year policy makes them all due today.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cli_runner import CLI
from integrity_lab import SHARED, blob_path, build, clone, sql
from lab.dovecot import Dovecot
from recovery_lab import SEEDS


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, dovecot: Dovecot) -> CLI:
    return build(tmp_path_factory.mktemp("retention"), dovecot)


@pytest.fixture
def archive(template: CLI, tmp_path: Path) -> CLI:
    return clone(template, tmp_path / "copy")


def ok(cli: CLI, *args: str) -> Any:
    result = cli(*args, "--json")
    assert result.code == 0, result.output
    return result.json


def by_folder(plan: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {f["folder"]: (f["due"], f["held"], f["scheduled"]) for f in plan["folders"]}


def actions(cli: CLI) -> list[str]:
    return [row[0] for row in sql(cli, "SELECT action FROM audit_events ORDER BY seq")]


def test_the_most_specific_policy_wins_and_holds_keep_their_messages(archive: CLI) -> None:
    assert ok(archive, "archive", "purge", "plan")["folders"] == []  # no policy: kept forever
    ok(archive, "archive", "retention", "set", "sales", "--keep", "1y")
    ok(archive, "archive", "retention", "set", "sales", "--folder", "Sent", "--keep", "10y")
    plan = ok(archive, "archive", "purge", "plan")
    assert by_folder(plan) == {"INBOX": (5, 0, 0), "客户/重要": (2, 0, 0)}
    ok(archive, "archive", "hold", "add", "case-7", "--mailbox", "sales", "--reason", "L/C dispute",
       "--folder", "客户/重要")  # fmt: skip
    ok(archive, "archive", "hold", "add", "buyer", "--mailbox", "sales", "--reason", "claim",
       "--address", "BUYER@customer.example", "--since", "2024-03-03", "--before", "2024-03-04")  # fmt: skip
    plan = ok(archive, "archive", "purge", "plan")
    assert by_folder(plan) == {"INBOX": (4, 1, 0), "客户/重要": (0, 2, 0)}
    assert plan["folders"][1]["held_by"] == ["case-7"]
    kept = {"same id A"}  # held by "buyer"
    inbox = [s for s in SEEDS if s.folder == "INBOX"]
    assert plan["due_bytes"] == sum(len(s.raw) for s in inbox if not any(k in s.raw.decode() for k in kept))
    policies = ok(archive, "archive", "retention", "list")["policies"]
    assert [(p["folder"], p["keep"]) for p in policies] == [(None, "1 years"), ("Sent", "10 years")]
    assert actions(archive) == ["archive.retention.set"] * 2 + ["archive.hold.add"] * 2


def test_a_batch_waits_for_its_grace_period_and_can_be_cancelled(archive: CLI) -> None:
    ok(archive, "archive", "retention", "set", "sales", "--keep", "1y")
    batch = ok(archive, "archive", "purge", "schedule")["batch"]
    assert batch["messages"] == len(SEEDS) + 1 and batch["state"] == "scheduled"
    assert by_folder(ok(archive, "archive", "purge", "plan"))["INBOX"] == (0, 0, 5)
    assert ok(archive, "archive", "purge", "schedule")["batch"] is None  # nothing new is due
    assert ok(archive, "archive", "purge", "run")["batches"] == []  # 30 days of grace by default
    assert ok(archive, "archive", "purge", "cancel", str(batch["batch"]))["batch"]["state"] == "cancelled"
    assert by_folder(ok(archive, "archive", "purge", "plan"))["INBOX"] == (5, 0, 0)
    again = archive("archive", "purge", "cancel", str(batch["batch"]))
    assert again.code == 2 and "cancelled, not scheduled" in again.stderr
    assert actions(archive)[-2:] == ["archive.purge.schedule", "archive.purge.cancel"]


def test_a_run_rechecks_holds_purges_content_only_and_keeps_shared_blobs(archive: CLI) -> None:
    """GIVEN a batch due now (grace 0) and a hold added after it was scheduled
    WHEN the purge runs THEN the held message stays, the rest are marked purged (rows kept), blob files go
    except the one a Sent copy still needs, and attest, export and the seals agree."""
    ok(archive, "archive", "retention", "set", "sales", "--keep", "1y")
    ok(archive, "archive", "retention", "set", "sales", "--folder", "Sent", "--keep", "10y")
    batch = ok(archive, "archive", "purge", "schedule", "--grace-days", "0")["batch"]
    assert batch["messages"] == 7
    ok(archive, "archive", "hold", "add", "late", "--mailbox", "sales", "--reason", "subpoena",
       "--folder", "客户/重要")  # fmt: skip
    result = ok(archive, "archive", "purge", "run")["batches"]
    assert result == [{"batch": batch["batch"], "purged": 5, "kept": 2, "bytes": result[0]["bytes"],
                       "blobs_removed": 4}]  # fmt: skip
    assert sql(archive, "SELECT count(*) FROM archive_messages")[0][0] == len(SEEDS) + 1  # no row deleted
    purged = {r[0] for r in sql(archive, "SELECT sha256 FROM archive_messages WHERE purged_at IS NOT NULL")}
    assert SHARED.sha256 in purged and blob_path(archive, SHARED.sha256).exists()  # Sent still needs it
    assert all(not blob_path(archive, sha).exists() for sha in purged - {SHARED.sha256})
    assert archive("archive", "attest").code == 0
    out = archive.root / "left.zip"
    exported = ok(archive, "archive", "export", "--out", str(out), "--include-gone")
    assert exported["messages"] == 4  # Sent 2, 客户/重要 2
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert sorted(e["folder"] for e in manifest["entries"]) == ["Sent", "Sent", "客户/重要", "客户/重要"]
    assert ok(archive, "archive", "purge", "run")["batches"] == []
    again = archive("archive", "purge", "cancel", str(batch["batch"]))
    assert again.code == 2
    assert actions(archive)[-2:] == ["archive.purge.execute", "archive.export"]


def test_holds_are_released_never_deleted(archive: CLI) -> None:
    ok(archive, "archive", "hold", "add", "h1", "--mailbox", "sales", "--reason", "audit 2026")
    dup = archive("archive", "hold", "add", "h1", "--mailbox", "sales", "--reason", "again")
    assert dup.code == 2
    ok(archive, "archive", "hold", "release", "h1", "--note", "case closed")
    assert ok(archive, "archive", "hold", "list")["holds"] == []
    (hold,) = ok(archive, "archive", "hold", "list", "--all")["holds"]
    assert hold["name"] == "h1" and not hold["active"] and hold["released_by"].startswith("cli:")
    assert archive("archive", "hold", "release", "h1").code == 2
    text = archive("archive", "hold", "list", "--all", "--lang", "zh-CN")
    assert "h1" in text.stdout


def test_bad_input_is_a_usage_error(archive: CLI) -> None:
    bad = archive("archive", "retention", "set", "sales", "--keep", "forever")
    assert bad.code == 2 and "90d" in bad.stderr
    assert archive("archive", "retention", "set", "sales", "--keep", "0y").code == 2
    assert archive("archive", "retention", "remove", "sales").code == 2
    assert archive("archive", "purge", "cancel", "99").code == 2
    assert archive("archive", "hold", "add", "x", "--mailbox", "nobody", "--reason", "r").code == 2
    assert archive("archive", "hold", "add", "x", "--mailbox", "sales", "--reason", "r",
                   "--since", "2024-05-01", "--before", "2024-04-01").code == 2  # fmt: skip
