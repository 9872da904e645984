"""Retention, legal holds and purges as a user runs them, on an archive synced from the lab Dovecot.

The seeds were received in March 2024: a one-year policy makes them all due today. The rules themselves
are tested on both engines through the service functions (tests/integration/retention); these check the
commands, their output and exit codes, and what a purge does to real blobs, exports and attest.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cli_runner import CLI
from integrity_lab import SHARED, blob_path, clone, sql
from recovery_lab import SEEDS


@pytest.fixture
def archive(integrity_template: CLI, tmp_path: Path) -> CLI:
    return clone(integrity_template, tmp_path / "copy")


def ok(cli: CLI, *args: str) -> Any:
    result = cli(*args, "--json")
    assert result.code == 0, result.output
    return result.json


def by_folder(plan: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {f["folder"]: (f["due"], f["held"], f["scheduled"]) for f in plan["folders"]}


def actions(cli: CLI) -> list[str]:
    return [row[0] for row in sql(cli, "SELECT action FROM audit_events ORDER BY seq")]


def test_the_most_specific_policy_wins_and_holds_keep_their_messages(archive: CLI) -> None:
    ok(archive, "archive", "retention", "set", "sales", "--keep", "1y")
    ok(archive, "archive", "retention", "set", "sales", "--folder", "Sent", "--keep", "10y")
    ok(archive, "archive", "hold", "add", "case-7", "--mailbox", "sales", "--reason", "L/C dispute",
       "--folder", "客户/重要")  # fmt: skip
    ok(archive, "archive", "hold", "add", "buyer", "--mailbox", "sales", "--reason", "claim",
       "--address", "BUYER@customer.example", "--since", "2024-03-03", "--before", "2024-03-04")  # fmt: skip
    plan = ok(archive, "archive", "purge", "plan")
    assert by_folder(plan) == {"INBOX": (4, 1, 0), "客户/重要": (0, 2, 0)}  # Sent: kept 10 years
    assert [(f["keep"], f["held_by"]) for f in plan["folders"]] == [("1y", ["buyer"]), ("1y", ["case-7"])]
    inbox = [s for s in SEEDS if s.folder == "INBOX" and b"same id A" not in s.raw]
    assert plan["due_bytes"] == sum(len(s.raw) for s in inbox)
    text = archive("archive", "purge", "plan", "--lang", "zh-CN")
    assert "客户/重要" in text.stdout and "当前到期：4 封邮件" in text.stdout
    ok(archive, "archive", "hold", "release", "buyer", "--note", "settled")
    holds = ok(archive, "archive", "hold", "list", "--all")["holds"]
    assert [(h["name"], h["active"]) for h in holds] == [("case-7", True), ("buyer", False)]
    assert holds[1]["released_by"].startswith("cli:")  # released, never deleted
    assert actions(archive)[:2] == ["archive.retention.set"] * 2
    trail = ok(archive, "archive", "audit", "--action", "archive.hold")["events"]
    assert [(e["seq"], e["action"], e["target"]) for e in trail] == [
        (5, "archive.hold.release", "buyer"),
        (4, "archive.hold.add", "buyer"),
        (3, "archive.hold.add", "case-7"),
    ]
    assert trail[1]["detail"]["address"] == "buyer@customer.example" and trail[0]["actor"].startswith("cli:")


def test_a_batch_waits_for_its_grace_period_and_can_be_cancelled(archive: CLI) -> None:
    ok(archive, "archive", "retention", "set", "sales", "--keep", "1y")
    batch = ok(archive, "archive", "purge", "schedule")["batch"]
    assert batch["messages"] == len(SEEDS) + 1 and batch["state"] == "scheduled"
    assert ok(archive, "archive", "purge", "run")["batches"] == []  # 30 days of grace by default
    assert ok(archive, "archive", "purge", "cancel", str(batch["batch"]))["batch"]["state"] == "cancelled"
    again = archive("archive", "purge", "cancel", str(batch["batch"]))
    assert again.code == 2 and "cancelled, not scheduled" in again.stderr
    assert sql(archive, "SELECT count(*) FROM archive_messages WHERE purge_batch_id IS NOT NULL") == [(0,)]
    assert actions(archive)[-2:] == ["archive.purge.schedule", "archive.purge.cancel"]


def test_a_run_rechecks_holds_purges_content_only_and_keeps_shared_blobs(archive: CLI) -> None:
    """GIVEN a batch due now (grace 0) and a hold added after it was scheduled
    WHEN the purge runs THEN the held messages stay, the rest are marked purged (rows kept), blob files go
    except the one a Sent copy still needs, and attest and export agree."""
    ok(archive, "archive", "retention", "set", "sales", "--keep", "1y")
    ok(archive, "archive", "retention", "set", "sales", "--folder", "Sent", "--keep", "10y")
    batch = ok(archive, "archive", "purge", "schedule", "--grace-days", "0")["batch"]
    assert batch["messages"] == 7
    late = archive("archive", "hold", "add", "late", "--mailbox", "sales", "--reason", "subpoena",
                   "--folder", "客户/重要")  # fmt: skip
    assert late.code == 0 and "2 messages waiting in scheduled purge batches" in late.stdout
    run = archive("archive", "purge", "run")
    assert run.code == 0 and f"Purge batch {batch['batch']}: 5 messages purged" in run.stdout
    assert "2 kept" in run.stdout and "4 blob files removed" in run.stdout
    assert sql(archive, "SELECT count(*) FROM archive_messages") == [(len(SEEDS) + 1,)]  # no row deleted
    purged = {r[0] for r in sql(archive, "SELECT sha256 FROM archive_messages WHERE purged_at IS NOT NULL")}
    assert SHARED.sha256 in purged and blob_path(archive, SHARED.sha256).exists()  # Sent still needs it
    assert all(not blob_path(archive, sha).exists() for sha in purged - {SHARED.sha256})
    found = ok(
        archive, "archive", "search", "询盘 OR 信用证 OR 报价", "--limit", "100"
    )  # the index dropped them
    assert {hit["folder"] for hit in found["hits"]} <= {"Sent", "客户/重要"} and found["total"] == len(
        found["hits"]
    )
    attest = archive("archive", "attest", "--json")
    assert attest.code == 0 and attest.json["blobs"]["checked"] == 4, attest.output
    out = archive.root / "left.zip"
    assert ok(archive, "archive", "export", "--out", str(out), "--include-gone")["messages"] == 4
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert sorted(e["folder"] for e in manifest["entries"]) == ["Sent", "Sent", "客户/重要", "客户/重要"]
    assert actions(archive)[-3:] == ["archive.purge.execute", "archive.search", "archive.export"]


def test_bad_input_is_a_usage_error(archive: CLI) -> None:
    bad = archive("archive", "retention", "set", "sales", "--keep", "forever")
    assert bad.code == 2 and "90d" in bad.stderr
    assert archive("archive", "purge", "cancel", "99").code == 2
    assert archive("archive", "hold", "add", "x", "--mailbox", "sales", "--reason", "r",
                   "--since", "2024-05-01", "--before", "2024-04-01").code == 2  # fmt: skip
    assert actions(archive) == []
