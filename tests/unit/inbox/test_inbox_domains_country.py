"""Registrable domains, free mail, and a company's country from its ccTLD or the sender's signature."""

from __future__ import annotations

import pytest

from mailwarden.inbox.country import country_from_domain, country_from_signature, guess_country
from mailwarden.inbox.domains import (
    ascii_domain,
    is_free_mail,
    public_suffix,
    registrable_domain,
    unicode_domain,
)
from mailwarden.inbox.subjects import is_generic, normalise_subject


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [
        ("mail.example.co.uk", "example.co.uk"),
        ("EXAMPLE.DE.", "example.de"),
        ("sales.example.com.cn", "example.com.cn"),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s"),
        ("mx.xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("shop1.myshopify.com", "shop1.myshopify.com"),  # a private suffix: each shop is its own company
        ("intranet.example.corp", "example.corp"),  # unknown TLD: still a registrable domain
        ("co.uk", None),
        ("localhost", None),
        ("[192.0.2.1]", None),
        ("a..b", None),
    ],
)
def test_registrable_domains_follow_the_public_suffix_list(domain: str, registrable: str | None) -> None:
    assert registrable_domain(domain) == registrable


def test_idna_2008_keeps_the_sharp_s() -> None:
    assert ascii_domain("Straße.de") == "xn--strae-oqa.de"
    assert unicode_domain("xn--strae-oqa.de") == "straße.de"
    assert public_suffix("example.co.uk") == "co.uk"


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "QQ.com",
        "vip.qq.com",
        "163.com",
        "yahoo.co.jp",
        "yahoo.com.br",
        "hotmail.fr",
        "gmx.at",
        "web.de",
    ],
)
def test_free_mail_domains_are_known(domain: str) -> None:
    assert is_free_mail(domain)


@pytest.mark.parametrize(
    "domain", ["example.de", "mail.example.com", "gmail.example.com", "yahoo-trading.com"]
)
def test_company_domains_are_not_free_mail(domain: str) -> None:
    assert not is_free_mail(domain)


@pytest.mark.parametrize(
    ("domain", "code"),
    [
        ("example.de", "DE"),
        ("example.co.uk", "GB"),
        ("example.com.au", "AU"),
        ("例子.中国", "CN"),
        ("xn--e1afmkfd.xn--p1ai", "RU"),
        ("example.com", None),
        ("example.io", None),  # sold worldwide as a generic name
        ("example.eu", None),
        ("yahoo.co.jp", None),  # free mail says where the provider is, not the customer
        ("web.de", None),
    ],
)
def test_the_cctld_gives_the_country(domain: str, code: str | None) -> None:
    found = country_from_domain(domain)
    assert (found.code if found else None) == code
    if found:
        assert found.source == "cctld"


@pytest.mark.parametrize(
    ("signature", "code", "source", "evidence"),
    [
        (
            "Best regards\nHans Weber\nMusterstraße 1, 10115 Berlin\nGermany",
            "DE",
            "signature_name",
            "Germany",
        ),
        ("Mit freundlichen Grüßen\nHans\nDeutschland", "DE", "signature_name", "Deutschland"),
        ("此致\n王经理\n德国柏林", "DE", "signature_name", "德国"),
        ("Saludos\nAna\nTel: +34 912 345 678", "ES", "signature_phone", "+34 912 345 678"),
        ("Regards\nRaj\nMob. 0091 98765 43210", "IN", "signature_phone", "0091 98765 43210"),
        ("Thanks\nIvan\n+7 495 123-45-67", "RU", "signature_phone", "+7 495 123-45-67"),
        ("Thanks\nAidar\n+7 701 123 4567", "KZ", "signature_phone", "+7 701 123 4567"),
        ("Regards\nMike\nUnited Kingdom", "GB", "signature_name", "United Kingdom"),
        ("Regards\nKim\nSeoul, South Korea", "KR", "signature_name", "South Korea"),
    ],
)
def test_the_signature_gives_the_country(signature: str, code: str, source: str, evidence: str) -> None:
    found = country_from_signature(signature)
    assert found is not None
    assert (found.code, found.source, found.evidence) == (code, source, evidence)


@pytest.mark.parametrize(
    "text",
    [
        "Call me at +1 415 555 0100",  # +1 is shared by the US, Canada and the Caribbean
        "We need 1000 pcs by 2026-12-01",
        "Regards\nJordan",  # a given name, not the country
        "Thanks",
    ],
)
def test_no_country_is_guessed_without_evidence(text: str) -> None:
    assert country_from_signature(text) is None


def test_the_cctld_comes_before_the_signature() -> None:
    found = guess_country("example.fr", "Regards\nGermany")
    assert found is not None and (found.code, found.source) == ("FR", "cctld")
    found = guess_country("gmail.com", "Regards\nGermany")
    assert found is not None and (found.code, found.source) == ("DE", "signature_name")


@pytest.mark.parametrize(
    "text",
    [
        "Please quote CIF Hamburg, Germany",
        "Please quote CIF Hamburg, Germany.\nWe need it by Friday.",
        "Hello,\nwe ship to Germany and Poland every month, please quote.",
        "Our agent in Hong Kong will pay.\nCall +852 2345 6789 if you need anything.",
        # "Best of luck" is no closing: the sentence after it is still the message
        "Best of luck with the fair!\nWe ship to Germany",
    ],
)
def test_without_a_closing_a_sentence_names_no_country(text: str) -> None:
    """The last lines of a short mail are its message: "ship to Germany" says where the goods go."""
    assert country_from_signature(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Please quote 500 pcs.\nHans Weber\n10115 Berlin, Germany", "DE"),
        ("请报价\n王经理\n德国柏林", "DE"),
        ("Please quote.\nTel: +33 1 23 45 67 89", "FR"),
        ("Please quote.\n+48 22 123 45 67", "PL"),
        ("Please quote.\nRegards, Ana Lima\nLisboa, Portugal", "PT"),
        ("请报价\n手机+49 151 2345 6789", "DE"),
    ],
)
def test_without_a_closing_address_and_phone_lines_still_count(text: str, code: str) -> None:
    found = country_from_signature(text)
    assert found is not None and found.code == code


def test_only_the_last_lines_are_a_signature() -> None:
    text = "We visited Germany last year.\n" + "\n".join(f"line {n}" for n in range(20)) + "\nRegards, Ana"
    assert country_from_signature(text) is None


@pytest.mark.parametrize(
    ("subject", "normal"),
    [
        ("RE: AW: Quotation LED", "quotation led"),
        ("Re[2]: Quotation", "quotation"),
        ("回复：转发: 询价 HX-200", "询价 hx-200"),
        ("[EXTERNAL] Fwd: Order 4711", "order 4711"),
        ("答复: 【重要】样品", "样品"),
        ("SV: VS:  Pris  ", "pris"),
        ("Ｑｕｏｔａｔｉｏｎ", "quotation"),
    ],
)
def test_subjects_are_normalised(subject: str, normal: str) -> None:
    assert normalise_subject(subject) == normal


@pytest.mark.parametrize("subject", ["Inquiry", "RE: 询价", "(no subject)", "", "Hello!", "Anfrage"])
def test_generic_subjects_are_generic(subject: str) -> None:
    assert is_generic(normalise_subject(subject))


def test_a_specific_subject_is_not_generic() -> None:
    assert not is_generic(normalise_subject("Inquiry for HX-200 LED panels"))
