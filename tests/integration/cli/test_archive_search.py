"""``archive search``, ``reindex`` and ``index-status`` as a user runs them, on an account archived from the
lab Dovecot by the real ``archive sync`` (which indexes what it archives)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zstandard

from cli_runner import CLI
from lab.dovecot import Dovecot, MailUser
from office_files import docx_file, pdf, with_attachments, xlsx_file
from recovery_lab import SEEDS, add_mailbox, imap, raw, seed

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUOTE = with_attachments(
    "Quotation for LED panels",
    "Please see the attached files.",
    [
        ("PI-7731.pdf", "application/pdf", pdf("Proforma Invoice PI-7731 CIF Rotterdam")),
        ("报价单.docx", DOCX, docx_file("报价单 型号 HX-200", [["HX-200", "USD 12.50"]])),
        ("prices.xlsx", XLSX, xlsx_file([["Model", "Price"], ["SOLAR-9", 99]])),
        ("broken.pdf", "application/pdf", b"%PDF-1.4 not really"),
    ],
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, dovecot: Dovecot) -> tuple[CLI, MailUser]:
    """GIVEN the restore seeds (询盘, 报价, 信用证 in three folders) and a quotation with files, synced."""
    cli = CLI(tmp_path_factory.mktemp("search"))
    assert cli("init").code == 0
    user = dovecot.add_user()
    seed(dovecot, user)
    client = imap(dovecot, user)
    client.append("INBOX", None, None, QUOTE)
    client.logout()
    add_mailbox(cli, dovecot, user, "sales")
    result = cli("archive", "sync", "--json")
    assert result.code == 0, result.output
    assert result.json["index"]["indexed"] == 9
    return cli, user


def search(cli: CLI, *query: str) -> dict[str, Any]:
    result = cli("archive", "search", *query, "--json")
    assert result.code == 0, result.output
    return result.json  # type: ignore[no-any-return]


def subjects(found: dict[str, Any]) -> set[str]:
    return {hit["subject"] for hit in found["hits"]}


def test_chinese_terms_and_folders_are_found(lab: tuple[CLI, MailUser]) -> None:
    cli, _ = lab
    assert subjects(search(cli, "询盘")) == {"询盘 FOB"}
    hit = search(cli, "信用证")["hits"][0]
    assert (hit["mailbox"], hit["folder"], hit["subject"]) == ("sales", "客户/重要", "信用证")
    assert subjects(search(cli, "报价 folder:sent")) == {"报价 reply"}


def test_attachment_text_is_searchable(lab: tuple[CLI, MailUser]) -> None:
    cli, _ = lab
    for query in (
        "PI-7731",
        "rotterdam",
        "HX-200",
        "报价单",
        "solar-9",
        "has:attachment",
        "attachment:prices.xlsx",
    ):
        assert subjects(search(cli, query)) == {"Quotation for LED panels"}, query


def test_a_snippet_marks_the_words_found(lab: tuple[CLI, MailUser]) -> None:
    cli, _ = lab
    hit = search(cli, "ship")["hits"][0]
    start, end = hit["snippet_spans"][0]
    assert hit["snippet"][start:end].lower() == "ship"
    text = cli("archive", "search", "ship")
    assert text.code == 0 and "from lines" in text.stdout


def test_an_unreadable_attachment_is_a_recorded_problem(lab: tuple[CLI, MailUser]) -> None:
    cli, _ = lab
    status = cli("archive", "index-status", "--json")
    assert status.code == 0, status.output
    problems = status.json["recent_problems"]
    assert [p["kind"] for p in problems] == ["attachment_pdf"]
    assert status.json["lag"] == 0 and status.json["documents"] == 9


def test_new_mail_is_indexed_by_the_next_sync(lab: tuple[CLI, MailUser], dovecot: Dovecot) -> None:
    cli, user = lab
    client = imap(dovecot, user)
    client.append("INBOX", None, None, raw("样品 sample request", "请寄样品。", "<s1@x>"))
    client.logout()
    assert subjects(search(cli, "样品")) == set()
    assert cli("archive", "sync").code == 0
    assert subjects(search(cli, "样品")) == {"样品 sample request"}


def test_reindex_gives_the_same_answers_and_no_duplicates(lab: tuple[CLI, MailUser]) -> None:
    cli, _ = lab
    before = search(cli, "from:buyer@customer.example", "--limit", "100")
    result = cli("archive", "reindex", "--json")
    assert result.code == 0, result.output
    after = search(cli, "from:buyer@customer.example", "--limit", "100")
    assert sorted(h["row_id"] for h in after["hits"]) == sorted(h["row_id"] for h in before["hits"])
    generations = [p for p in (cli.root / "data" / "search").iterdir() if p.name.startswith("gen-")]
    assert len(generations) == 1


def test_a_lost_cursor_reindexes_without_duplicates(lab: tuple[CLI, MailUser]) -> None:
    """A crash between the index commit and the cursor write: the batch is indexed again, replacing."""
    cli, _ = lab
    root = cli.root / "data" / "search"
    state_file = root / (root / "CURRENT").read_text().strip() / "state.json"
    state = json.loads(state_file.read_text())
    documents = cli("archive", "index-status", "--json").json["documents"]
    state["cursor"] = 0
    state_file.write_text(json.dumps(state))
    assert cli("archive", "sync").code == 0  # the quick check sees the index behind and runs the full command
    status = cli("archive", "index-status", "--json").json
    assert status["documents"] == documents and status["cursor"] == status["newest"]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ('"open', "search.unclosed_quote"),
        ("folder:Nope", "search.unknown_folder"),
        ("x before:soon", "search.bad_date"),
    ],
)
def test_mistakes_are_usage_errors(lab: tuple[CLI, MailUser], query: str, key: str) -> None:
    cli, _ = lab
    result = cli("archive", "search", query, "--json")
    assert result.code == 2, result.output
    assert result.json["error"]["key"] == key


def test_no_index_yet_says_how_to_make_one(tmp_path: Path) -> None:
    cli = CLI(tmp_path)
    assert cli("init").code == 0
    result = cli("archive", "search", "询盘", "--lang", "zh-CN")
    assert result.code == 2
    assert "archive reindex" in result.stderr and "尚未建立搜索索引" in result.stderr


def test_show_a_found_message_and_its_exact_bytes(lab: tuple[CLI, MailUser]) -> None:
    cli, _ = lab
    row_id = search(cli, "信用证")["hits"][0]["row_id"]
    shown = cli("archive", "show", str(row_id), "--json")
    assert shown.code == 0, shown.output
    assert (shown.json["folder"], shown.json["subject"]) == ("客户/重要", "信用证")
    assert "L/C at sight." in shown.json["text"]
    exact = subprocess.run(
        [sys.executable, "-m", "mailwarden", "archive", "show", str(row_id), "--raw"],
        env=cli.env, cwd=cli.root, capture_output=True, check=True,
    )  # fmt: skip
    assert exact.stdout == next(s.raw for s in SEEDS if s.folder == "客户/重要" and b"L/C" in s.raw)
    assert hashlib.sha256(exact.stdout).hexdigest() == shown.json["sha256"]
    missing = cli("archive", "show", "999999")
    assert missing.code == 2 and "no message 999999" in missing.stderr


def test_show_refuses_a_blob_changed_on_disk(lab: tuple[CLI, MailUser], tmp_path: Path) -> None:
    cli, _ = lab
    row_id = search(cli, "询盘")["hits"][0]["row_id"]
    sha = cli("archive", "show", str(row_id), "--json").json["sha256"]
    blob = cli.root / "data" / "archive" / "blobs" / sha[:2] / f"{sha}.zst"
    original = blob.read_bytes()
    try:
        blob.write_bytes(zstandard.ZstdCompressor().compress(b"Subject: forged\r\n\r\nchanged\r\n"))
        changed = cli("archive", "show", str(row_id))
        assert changed.code == 1 and "no longer match" in changed.stderr
    finally:
        blob.write_bytes(original)


def test_searches_and_views_are_in_the_audit_trail(lab: tuple[CLI, MailUser]) -> None:
    cli, _ = lab
    row_id = search(cli, "信用证 folder:客户/*")["hits"][0]["row_id"]
    assert cli("archive", "show", str(row_id)).code == 0
    trail = cli("archive", "audit", "--action", "archive", "--json")
    assert trail.code == 0, trail.output
    events = trail.json["events"]
    searched = next(
        e for e in events if e["action"] == "archive.search" and e["target"] == "信用证 folder:客户/*"
    )
    assert searched["detail"]["shown"] == [row_id] and searched["actor"].startswith("cli:")
    viewed = next(e for e in events if e["action"] == "archive.view" and e["target"] == str(row_id))
    assert viewed["detail"]["folder"] == "客户/重要"
    assert cli("archive", "attest", "--no-blobs").code == 0  # and the chain still holds
