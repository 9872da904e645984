"""Searching a real index: Chinese terms of two, three and more characters, Latin words, the fields."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mailwarden.core.errors import InputError

from search_docs import Index, mail, utc


@pytest.fixture
def index(tmp_path: Path) -> Index:
    found = Index(tmp_path / "index")
    found.add(
        mail(
            "客户询盘：LED面板灯 600x600", "您好，我司想询价 LED 面板灯，请报价 FOB 宁波。\n数量 2000 pcs。"
        ),
        mail(
            "RE: 报价单",
            "附件是报价，付款方式：信用证 L/C at sight。",
            sender="王经理 <wang@huaxin-trade.cn>",
        ),
        mail("Proforma Invoice PI-2026-0412", "Please find the proforma invoice attached. CIF Hamburg.\n"),
        mail(
            "Shipment notice", "The container left Ningbo; invoice will follow.", to="Buyer <buyer@acme.de>"
        ),
        mail("ＬＥＤ 全角", "Ｆｕｌｌ-width letters and ２０２６."),
        when=utc(2026, 3, 5),
    )
    found.add(
        mail("Old quotation", "An old quote for solar pumps, before the holidays."), when=utc(2025, 1, 2)
    )
    return found


def test_two_character_chinese_terms_are_found(index: Index) -> None:
    assert index.find("询盘") == {1}
    assert index.find("报价") == {1, 2}  # 请报价 in the body of 1, 报价单 and 报价 in 2


def test_three_and_four_character_chinese_terms_are_found(index: Index) -> None:
    assert index.find("信用证") == {2}
    assert index.find("付款方式") == {2}
    assert index.find("面板灯") == {1}


def test_a_chinese_word_inside_a_longer_run_is_found(index: Index) -> None:
    assert index.find("询价") == {1}  # inside 我司想询价
    assert index.find("宁波") == {1}


def test_characters_split_by_punctuation_are_not_a_phrase(index: Index) -> None:
    assert index.find("询盘LED") == {1}  # the run and the word, both in the subject
    assert index.find("报价信用证") == set()  # "报价，付款方式：信用证" is not this phrase


def test_a_single_chinese_character_is_found(index: Index) -> None:
    assert index.find("灯") == {1}


def test_sqlite_fts5_trigram_finds_nothing_for_two_characters() -> None:
    """Why the index is not SQLite FTS5: its trigram tokenizer silently returns nothing for 询盘."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
    db.execute("INSERT INTO t VALUES ('客户询盘报价')")
    assert db.execute("SELECT count(*) FROM t WHERE t MATCH '询盘'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM t WHERE t MATCH '询盘报'").fetchone()[0] == 1


def test_latin_words_phrases_and_prefixes(index: Index) -> None:
    assert index.find("invoice") == {3, 4}
    assert index.find('"proforma invoice"') == {3}
    assert index.find('"invoice proforma"') == set()
    assert index.find("PI-2026-0412") == {3}
    assert index.find("invoic*") == {3, 4}
    assert index.find("hamburg cif") == {3}


def test_full_width_and_accents_fold(index: Index) -> None:
    assert index.find("led") == {1, 5}
    assert index.find("full-width") == {5}
    assert index.find("2026") == {3, 5}
    assert index.find("muller") == {1, 3, 4, 5, 6}  # the sender's name, Müller


def test_fields(index: Index) -> None:
    assert index.find("from:wang@huaxin-trade.cn") == {2}
    assert index.find("from:huaxin-trade.cn") == {2}
    assert index.find("from:王经理") == {2}
    assert index.find("to:acme.de") == {4}
    assert index.find("subject:invoice") == {3}
    assert index.find("subject:报价") == {2}


def test_dates_negation_and_or(index: Index) -> None:
    assert index.find("quotation after:2026-01-01") == set()
    assert index.find("quotation before:2026-01-01") == {6}
    assert index.find("invoice -proforma") == {4}
    assert index.find("询盘 OR solar") == {1, 6}


def test_folder_and_mailbox_filters_use_resolved_ids(tmp_path: Path) -> None:
    index = Index(tmp_path / "i")
    index.add(mail("a quote", "x"), mailbox_id=1, folder_id=10)
    index.add(mail("a quote", "y"), mailbox_id=2, folder_id=20)
    assert index.find("quote folder:INBOX", {("folder", "INBOX"): [20]}) == {2}
    assert index.find("quote mailbox:sales", {("mailbox", "sales"): [1]}) == {1}
    assert index.find("quote folder:nothing", {("folder", "nothing"): []}) == set()


def test_readers_see_only_their_mailboxes(tmp_path: Path) -> None:
    index = Index(tmp_path / "i")
    index.add(mail("secret quote", "x"), mailbox_id=1)
    index.add(mail("secret quote", "y"), mailbox_id=2)
    assert index.find("quote", mailboxes=[2]) == {2}
    assert index.find("quote", mailboxes=[]) == set()


def test_has_attachment(tmp_path: Path) -> None:
    index = Index(tmp_path / "i")
    multipart = 'Content-Type: multipart/mixed; boundary="b"\r\n'
    with_file = (
        b"From: a@b.c\r\nSubject: PI attached\r\nMIME-Version: 1.0\r\n" + multipart.encode() + b"\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee the file\r\n"
        b'--b\r\nContent-Type: text/csv; name="price-list.csv"\r\nContent-Disposition: attachment; '
        b'filename="price-list.csv"\r\n\r\nmodel,price\r\nHX-200,12.50\r\n--b--\r\n'
    )
    index.add(with_file, mail("PI not attached", "see the file"))
    assert index.find("file has:attachment") == {1}
    assert index.find("hx-200") == {1}  # the text of the CSV attachment
    assert index.find("attachment:price-list.csv") == {1}


@pytest.mark.parametrize("query", ['"open', "has:photo", "after:yesterday", "OR x", "x OR", "-x", "", "  "])
def test_bad_queries_say_what_is_wrong(index: Index, query: str) -> None:
    with pytest.raises(InputError):
        index.find(query)


def test_unknown_field_names_are_text(index: Index) -> None:
    assert index.find("L/C:") == {2}


def test_english_words_are_found_in_their_other_forms(index: Index) -> None:
    assert index.find("invoices") == {3, 4}
    assert index.find("shipments") == {4}
    assert index.find('"proforma invoices"') == {3}
