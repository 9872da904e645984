"""The address inspection, the catalogue and the finding texts, without any server."""

from __future__ import annotations

import pytest

from mailwarden.core import i18n
from mailwarden.diagnose.findings import CODES, Finding, rank
from mailwarden.diagnose.probes.address import inspect_address
from mailwarden.diagnose.probes.dns import typo_variants
from mailwarden.diagnose.probes.login import server_text
from mailwarden.diagnose.providers import load_catalogue


@pytest.mark.parametrize(
    ("address", "kind", "char"),
    [("sa1es@example.com", "digit_letter", "1"), ("ｓales@example.com", "fullwidth", "ｓ"),
     ("sales@yourc0mpany.com", "digit_letter", "0"), ("ѕales@example.com", "confusable", "ѕ"),
     (" sales@example.com", "space", " "), ("sales＠example。com", "fullwidth", "＠")],
)  # fmt: skip
def test_it_names_the_offending_character(address: str, kind: str, char: str) -> None:
    issues = inspect_address(address).issues
    assert (kind, char) in [(i.kind, i.char) for i in issues]


def test_names_with_digits_at_the_end_are_not_typos() -> None:
    assert inspect_address("sales2@163.com").issues == ()


def test_typo_variants_swap_rn_and_m() -> None:
    assert "example.com" in typo_variants("exarnple.com")


def test_smtp_text_with_gbk_bytes_is_read_as_gbk() -> None:
    raw = "535 请使用授权码登录".encode("gbk").decode("utf-8", "surrogateescape")
    assert server_text(raw) == "535 请使用授权码登录"


def test_every_code_has_words_in_both_languages() -> None:
    for code in CODES:
        for lang in i18n.LANGUAGES:
            assert f"diagnose.finding.{code}.fix" in i18n.catalog(lang)


def test_the_catalogue_recognises_providers_by_mx_and_domain() -> None:
    catalogue = load_catalogue()
    assert catalogue.recognise("corp.cn", ["mxbiz1.qq.com"]).id == "tencent_exmail"  # type: ignore[union-attr]
    assert catalogue.recognise("126.com", []).endpoints("imap", "126.com")[0].host == "imap.126.com"  # type: ignore[union-attr]


def test_a_near_certain_root_cause_leads_a_certain_consequence() -> None:
    ranked = rank([Finding("auth.wrong_password", 0.95), Finding("account.typo", 0.85)])
    assert [f.code for f in ranked] == ["account.typo", "auth.wrong_password"]
