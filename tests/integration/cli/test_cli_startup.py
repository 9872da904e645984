"""A command loads only its own part of mailwarden: a no-change `archive sync` is meant to take a fraction of
a second, and the imports of the other commands (DNS, HTTP, the MIME parser, chat transports) cost more
than the pass itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

#: modules that the archive's no-change path must never load
NOT_FOR_ARCHIVE = (
    "httpx",
    "dns.resolver",
    "confusable_homoglyphs",
    "aiosmtplib",
    "mailwarden.diagnose",
    "mailwarden.notify",
    "mailwarden.mime",
    "mailwarden.smtp",
    "mailwarden.sync.pipeline",
    "sqlalchemy.dialects.postgresql",
    "tantivy",  # the search index: loaded to index what a sync archived, and only then
    "mailwarden.search.indexer",  # (search.cursor, two file reads, is the quick check's)
    "mailwarden.inbox",
)

_PROGRAM = """
import atexit, sys
atexit.register(lambda: print("MODULES", " ".join(sorted(sys.modules))))
sys.argv = ["mailwarden", *sys.argv[1:]]
from mailwarden.cli.main import main
main()
"""


def loaded(*args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, *args],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES "))
    return set(line.split()[1:])


@pytest.mark.parametrize("command", ["sync", "status"])
def test_the_archive_commands_load_nothing_of_the_others(command: str) -> None:
    modules = loaded("archive", command, "--help")
    assert "mailwarden.cli.archive" in modules
    assert sorted(m for m in modules if m.startswith(NOT_FOR_ARCHIVE)) == []


def test_help_at_the_root_still_knows_every_command() -> None:
    modules = loaded("--help")
    assert {"mailwarden.cli.diagnose", "mailwarden.cli.notify", "mailwarden.cli.archive"} <= modules


def test_a_sync_with_nothing_to_fetch_does_not_load_the_pipeline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
    env["MAILWARDEN_CONFIG"] = str(tmp_path / "mailwarden.toml")
    init = subprocess.run(
        [sys.executable, "-m", "mailwarden", "init"], env=env, capture_output=True, timeout=60, check=False
    )
    assert init.returncode == 0, init.stderr
    modules = loaded("archive", "sync", env=env)  # no mailboxes: the command runs, nothing is fetched
    assert {"mailwarden.archive.blobstore", "mailwarden.mailboxes.service"} <= modules
    assert sorted(m for m in modules if m.startswith(NOT_FOR_ARCHIVE)) == []
