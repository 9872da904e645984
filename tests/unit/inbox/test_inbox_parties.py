"""Contacts, companies, the customer's own text, its language, and duplicate contacts."""

from __future__ import annotations

import textwrap

import pytest

from mailwarden.inbox.language import detect_language
from mailwarden.inbox.parties import KnownContact, merge_candidates, message_parties, normalise_address
from mailwarden.inbox.quoting import customer_text
from mailwarden.mime import parse_message

import inbox_samples as samples


def _text(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


@pytest.mark.parametrize(
    ("reply", "own"),
    [
        # Gmail / Thunderbird attribution, wrapped over two lines by the client
        (
            """\
            Please ship by sea.

            On Thu, 26 Nov 2026 at 09:12, Sales <sales@example-exporter.cn>
            wrote:
            > Dear buyer, please find our quotation.
            """,
            "Please ship by sea.",
        ),
        (
            """\
            Bitte per Seefracht.

            Am Do., 26. Nov. 2026 um 09:12 Uhr schrieb Sales <sales@example-exporter.cn>:
            > Dear buyer
            """,
            "Bitte per Seefracht.",
        ),
        # Outlook: a rule, then a From/Sent/To/Subject block, no ">" at all
        (
            """\
            Agreed, thanks.
            Hans

            ________________________________
            From: Sales <sales@example-exporter.cn>
            Sent: Thursday, November 26, 2026 9:12 AM
            To: Hans Weber <h.weber@example.de>
            Subject: Re: LED panel quotation

            Dear buyer, +86 755 1234 5678
            """,
            "Agreed, thanks.\nHans",
        ),
        # Foxmail / NetEase Chinese header block
        (
            """\
            好的，谢谢。

            发件人：Sales <sales@example-exporter.cn>
            发送时间：2026年11月26日 9:12
            收件人：王经理
            主题：报价
            """,
            "好的，谢谢。",
        ),
        # QQ Mail's separator
        ("收到\n\n------------------ 原始邮件 ------------------\n发件人: x", "收到"),
        ("OK\n\n-----Original Message-----\nFrom: x", "OK"),
        # interleaved answers keep the customer's lines
        ("> Price?\nUSD 5\n> MOQ?\n500 pcs", "USD 5\n500 pcs"),
        # Gmail in Chinese, Japanese, Korean
        ("可以\n\nSales <sales@example-exporter.cn> 于2026年11月26日周四 09:12写道：\n> 报价", "可以"),
        (
            "了解です。\n\n2026年11月26日(木) 9:12 Sales <sales@example-exporter.cn>:\n\n見積もり",
            "了解です。",
        ),
        ("네\n\n2026년 11월 26일 (목) 오전 9:12, Sales <sales@example-exporter.cn>님이 작성:\n견적", "네"),
    ],
)
def test_customer_text_drops_the_quoted_history(reply: str, own: str) -> None:
    assert customer_text(_text(reply)) == own


def test_customer_text_keeps_a_message_that_quotes_nothing() -> None:
    text = "From our side: no objection.\nDate of shipment: 1 Dec.\n-- \nHans Weber\nGermany"
    assert customer_text(text) == text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("请报价", "zh"),
        ("你好，请问HX-200的最小起订量是多少？", "zh"),
        ("見積もりをお願いします。", "ja"),
        ("견적서를 보내주세요.", "ko"),
        ("Please send me your price list.", "en"),
        ("Bitte senden Sie uns ein Angebot.", "de"),
        ("Qual é o prazo de entrega?", "pt"),
        ("Пришлите, пожалуйста, прайс-лист.", "ru"),
        ("¿Cuál es el precio por unidad? Necesitamos 1000 piezas.", "es"),
    ],
)
def test_the_language_of_short_texts(text: str, code: str) -> None:
    found = detect_language(text)
    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["OK", "", "12345 67", "https://example.com/a/b buyer@example.de"])
def test_too_little_text_has_no_language(text: str) -> None:
    assert detect_language(text) is None


def test_a_german_line_above_an_english_quote_is_german() -> None:
    text = _text(
        """\
        Vielen Dank, wir bestellen 500 Stück.

        On Thu, 26 Nov 2026 at 09:12, Sales <sales@example-exporter.cn> wrote:
        > Dear customer, thank you for your inquiry. Please find attached our quotation for the LED panels
        > you asked about, with prices, lead times and packing details. We look forward to your order.
        """
    )
    assert detect_language(text) is not None  # the whole text: the English quote dominates
    found = detect_language(customer_text(text))
    assert found is not None and found.code == "de"


@pytest.mark.parametrize(
    ("address", "key", "display"),
    [
        ("Hans.Weber@Example.DE", "hans.weber@example.de", "Hans.Weber@example.de"),
        ("wang@例子.中国", "wang@xn--fsqu00a.xn--fiqs8s", "wang@例子.中国"),
        ("<buyer@xn--fsqu00a.xn--fiqs8s>", "buyer@xn--fsqu00a.xn--fiqs8s", "buyer@例子.中国"),
    ],
)
def test_addresses_are_normalised(address: str, key: str, display: str) -> None:
    found = normalise_address(address)
    assert found is not None and (found.key, found.display) == (key, display)


@pytest.mark.parametrize(
    "address", ["no-at-sign", "a@localhost", "@example.de", "a b@example.de", "x@[192.0.2.1]"]
)
def test_unusable_addresses_are_refused(address: str) -> None:
    assert normalise_address(address) is None


INQUIRY = samples.eml(
    """\
    From: Hans Weber <Hans.Weber@mail.example.de>
    Reply-To: einkauf@example.de
    To: sales@example-exporter.cn, Anna <anna@example-exporter.cn>
    Cc: Maria Rossi <maria.rossi@gmail.com>, li@example-exporter.cn, "Hans Weber" <hans.weber@example.de>
    Subject: Anfrage LED
    Message-ID: <inq-9@example.de>
    Content-Type: text/plain; charset=utf-8

    Guten Tag, bitte senden Sie uns ein Angebot für 500 Stück HX-200.

    Mit freundlichen Grüßen
    Hans Weber
    """
)


def test_incoming_mail_gives_contacts_companies_and_language() -> None:
    parties = message_parties(
        parse_message(INQUIRY),
        own_addresses=["sales@example-exporter.cn"],
        own_domains=["example-exporter.cn"],
    )
    contacts = {contact.address.key: contact for contact in parties.contacts}
    # To is ours and not read for incoming mail; li@ is a colleague (own domain); Hans comes once
    assert list(contacts) == [
        "hans.weber@mail.example.de",
        "einkauf@example.de",
        "maria.rossi@gmail.com",
        "hans.weber@example.de",
    ]
    assert contacts["hans.weber@mail.example.de"].roles == ("from",)
    assert contacts["hans.weber@mail.example.de"].address.display == "Hans.Weber@mail.example.de"
    assert contacts["einkauf@example.de"].roles == ("reply_to",)
    assert contacts["maria.rossi@gmail.com"].company is None  # free mail: no company
    # one company for mail.example.de and example.de, with its ccTLD country
    assert [company.domain for company in parties.companies] == ["example.de"]
    assert parties.companies[0].country is not None and parties.companies[0].country.code == "DE"
    assert contacts["einkauf@example.de"].company == parties.companies[0]
    assert parties.language is not None and parties.language.code == "de"
    assert parties.sender_country is None  # the company's ccTLD already says it


def test_a_free_mail_sender_gets_the_signature_country() -> None:
    raw = samples.eml(
        """\
        From: Maria Rossi <maria.rossi@gmail.com>
        To: sales@example-exporter.cn
        Subject: Preventivo
        Content-Type: text/plain; charset=utf-8

        Potete inviarci un preventivo per 200 pezzi?

        Maria Rossi
        Tel. +39 02 1234 5678
        """
    )
    parties = message_parties(parse_message(raw))
    assert parties.companies == ()
    assert parties.sender_country is not None
    assert (parties.sender_country.code, parties.sender_country.source) == ("IT", "signature_phone")
    assert parties.language is not None and parties.language.code == "it"


def test_outgoing_mail_gives_to_and_cc_and_reads_no_text() -> None:
    raw = samples.eml(
        """\
        From: Sales <sales@example-exporter.cn>
        To: Hans Weber <hans.weber@example.de>
        Cc: buyer@example.fr
        Subject: Re: Anfrage
        Content-Type: text/plain; charset=utf-8

        Dear Hans, our price is USD 5.
        Sales team, Shenzhen, China, +86 755 1234 5678
        """
    )
    parties = message_parties(parse_message(raw), outgoing=True, own_domains=["example-exporter.cn"])
    assert [(contact.address.key, contact.roles) for contact in parties.contacts] == [
        ("hans.weber@example.de", ("to",)),
        ("buyer@example.fr", ("cc",)),
    ]
    assert {company.domain for company in parties.companies} == {"example.de", "example.fr"}
    assert parties.language is None and parties.sender_country is None


def test_duplicate_contacts_are_proposed_for_merging() -> None:
    contacts = [
        KnownContact("1", "Hans.Weber@example.de", "Hans Weber", "example.de"),
        KnownContact("2", "hans.weber@EXAMPLE.DE", "H. Weber", "example.de"),
        KnownContact("3", "h.weber@mail.example.de", "hans  weber", "mail.example.de"),
        KnownContact("4", "hweber@gmail.com", "Hans Weber", None),  # free mail: no company to match on
        KnownContact("5", "sales@example.fr", "Sales", "example.fr"),
        KnownContact("6", "ventes@example.fr", "Sales", "example.fr"),  # a role name is not a person
        KnownContact("7", "wang@例子.中国", "王经理", "例子.中国"),
        KnownContact("8", "wang@xn--fsqu00a.xn--fiqs8s", "王经理", "xn--fsqu00a.xn--fiqs8s"),
    ]
    found = {(candidate.contact_ids, candidate.reason) for candidate in merge_candidates(contacts)}
    assert found == {
        (("1", "2"), "same_address"),
        (("7", "8"), "same_address"),
        (("1", "3"), "same_name_same_company"),
    }


GMAIL_HTML_REPLY = samples.eml(
    """\
    From: Hans Weber <h.weber@example.com>
    To: sales@example-exporter.cn
    Subject: Re: LED panel quotation
    Content-Type: text/html; charset=utf-8

    <div dir="ltr">Bitte senden Sie das Angebot bis Freitag.<br><br>Hans Weber<br>
    Tel. +49 30 1234567</div><br>
    <div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Thu, Nov 26, 2026 at 9:12 AM Sales &lt;<a
    href="mailto:sales@example-exporter.cn">sales@example-exporter.cn</a>&gt; wrote:<br></div>
    <blockquote class="gmail_quote">Dear buyer, our price is USD 5 per piece, valid for thirty days.
    Shenzhen, China. Tel +86 755 12345678</blockquote></div>
    """
)


def test_an_html_only_reply_is_read_without_its_quote() -> None:
    """GIVEN a Gmail HTML reply (no text part) from a .com company quoting our Chinese signature
    THEN the language is the customer's and the country comes from the customer's own phone number."""
    parties = message_parties(parse_message(GMAIL_HTML_REPLY))
    assert parties.language is not None and parties.language.code == "de"
    assert parties.sender_country is not None
    assert (parties.sender_country.code, parties.sender_country.evidence) == ("DE", "+49 30 1234567")


def test_a_team_selling_from_free_mail_keeps_its_customers_there() -> None:
    raw = samples.eml(
        """\
        From: Li Wei <liwei2026@163.com>
        To: trader@163.com
        Cc: colleague@163.com
        Subject: 询价
        Content-Type: text/plain; charset=utf-8

        请报价
        """
    )
    parties = message_parties(
        parse_message(raw), own_addresses=["trader@163.com", "colleague@163.com"], own_domains=["163.com"]
    )
    assert [contact.address.key for contact in parties.contacts] == ["liwei2026@163.com"]
