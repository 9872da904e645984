"""A company's country: from its country-code TLD, else from the sender's signature; with the evidence.

* **ccTLD** — ``example.de`` is DE, ``example.co.uk`` GB (ISO 3166 says GB, the TLD says uk), ``例子.中国``
  CN. Never for a free-mail domain (``yahoo.co.jp`` says where Yahoo is, not the customer), and never for
  the ccTLDs sold worldwide as generic names (.io, .co, .ai, .me, .tv, ...) nor for .eu.
* **signature** — what follows the customer's closing ("Best regards", "此致") in the last lines they
  wrote (quotes removed, see :mod:`.quoting`); without a closing, only address and phone lines (see
  :func:`country_from_signature`): a country name in English, its own language or Chinese ("Germany",
  "Deutschland", "德国"), else an international phone number's calling code (+49, 0049). +1 is left
  alone: it is shared by the US, Canada and the Caribbean.

:func:`guess_country` returns the first that answers, as a :class:`CountryGuess` saying which and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mailwarden.inbox.country_data import CALLING_CODES, COUNTRY_NAMES, GENERIC_CCTLDS, IDN_CCTLDS
from mailwarden.inbox.domains import ascii_domain, is_free_mail

__all__ = ["CountryGuess", "country_from_domain", "country_from_signature", "guess_country"]

_SIGNATURE_LINES = 15
#: closings that start a signature, in the languages of our markets; "-- " is the Usenet/RFC 3676 one
_CLOSING = re.compile(
    r"(?:--|best regards|kind regards|warm regards|regards|best|best wishes|thanks(?: and regards)?|thank you"
    r"|cheers|sincerely|yours sincerely|yours faithfully|br|mit freundlichen grüßen|mfg|viele grüße"
    r"|beste grüße|freundliche grüße|gruß|grüße|cordialement|bien à vous|salutations|saludos|un saludo"
    r"|atentamente|cordiali saluti|distinti saluti|saluti|atenciosamente|abraços|met vriendelijke groet"
    r"|groeten|pozdrawiam|z poważaniem|с уважением|saygılarımla|此致|敬礼|祝好|谢谢|順祝商祺|顺祝商祺"
    r"|よろしくお願いします|よろしくお願いいたします|감사합니다)[\s,.!:;。，！、]*"
    r"(?:[,，]?\s*[^\s,.!?]+(?:\s+[^\s,.!?]+){0,2})?",  # "Regards, Ana Lima" on one line
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。！？]\s*$")
_PHONE_LABEL = re.compile(
    r"\W*(?:tel|phone|mob|mobile|cell|fax|whats ?app|wechat|skype|t|m|p|f|тел)\b"
    r"|\W*(?:电话|電話|手机|手機|座机|微信)",  # CJK labels are followed by digits directly: no \b
    re.IGNORECASE,
)
_PHONE_ALONE = re.compile(r"[\s+()\d./-]{8,30}")
_PHONE = re.compile(r"(?<![0-9A-Za-z+])(?:\+|00)\s?(\d(?:[\s\-./()]*\d){7,15})")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
#: (case-folded name, code), longest first so "South Africa" wins over "Africa"-like shorter names
_NAMES = sorted(
    ((name.casefold(), code) for code, names in COUNTRY_NAMES.items() for name in names),
    key=lambda pair: -len(pair[0]),
)
_NAME_PATTERN = re.compile(
    "|".join(
        # Latin, Cyrillic, Arabic names as whole words; CJK names anywhere (CJK writes no spaces)
        re.escape(name) if _CJK.search(name) else rf"(?<!\w){re.escape(name)}(?!\w)"
        for name, _ in _NAMES
    ),
    re.IGNORECASE,
)
_CODE_OF_NAME = dict(_NAMES)


@dataclass(frozen=True, slots=True)
class CountryGuess:
    code: str  # ISO 3166-1 alpha-2, upper case
    source: Literal["cctld", "signature_name", "signature_phone"]
    evidence: str  # the domain, the name as written, or the phone number


def country_from_domain(domain: str) -> CountryGuess | None:
    """The country of ``domain``'s ccTLD, or None (generic TLD, free mail, or a generic-use ccTLD)."""
    encoded = ascii_domain(domain)
    if encoded is None or is_free_mail(encoded):
        return None
    tld = encoded.rsplit(".", 1)[-1]
    code = IDN_CCTLDS.get(tld) or (tld.upper() if len(tld) == 2 and tld.isalpha() else None)
    if code is None or tld in GENERIC_CCTLDS:
        return None
    return CountryGuess("GB" if code == "UK" else code, "cctld", encoded)


def _phone_country(digits: str) -> str | None:
    if digits.startswith("7"):  # Russia and Kazakhstan share +7; Kazakh numbers go on with 6 or 7
        return "KZ" if digits[1:2] in {"6", "7"} else "RU"
    for length in (3, 2, 1):
        code = CALLING_CODES.get(digits[:length])
        if code:
            return code
    return None


def _signature(text: str) -> tuple[list[str], bool]:
    """The signature's lines, and whether a closing ("Best regards", "此致", "-- ") marked where it starts.

    Without a closing, the last lines of a short mail are its message ("Please quote CIF Hamburg,
    Germany."), so only lines that look like an address or a phone line are read (see below).
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()][-_SIGNATURE_LINES:]
    for index in range(len(lines) - 1, -1, -1):
        if _CLOSING.fullmatch(lines[index]):
            return lines[index + 1 :], True
    return lines, False


def _address_like(line: str, name: re.Match[str]) -> bool:
    """ "Germany", "10115 Berlin, Germany", "德国柏林": the name ends a short line of at most four words
    (or of CJK text), which does not end a sentence. Not the first line: that is the message."""
    if _SENTENCE_END.search(line):
        return False
    if _CJK.search(name[0]):
        return len(line) <= 20
    before = line[: name.start()].rstrip()
    alone_or_after_comma = not before or before.endswith((",", "，"))
    return alone_or_after_comma and line[name.end() :].strip(" ,") == "" and len(line.split()) <= 5


def country_from_signature(text: str) -> CountryGuess | None:
    """A country named, or dialled, in the signature of ``text`` (the customer's own words), bottom up.

    After a closing line every line counts. Without one, a country name counts only where it ends a short
    line that is not a sentence and not the first line ("Berlin, Germany", "德国柏林"), and a phone number
    only on a labelled line ("Tel:", "Mob.", "WhatsApp", "电话") or a line that is the number alone.
    """
    lines, closed = _signature(text)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        name = _NAME_PATTERN.search(line)
        if name and (closed or (index > 0 and _address_like(line, name))):
            return CountryGuess(_CODE_OF_NAME[name[0].casefold()], "signature_name", name[0])
    for line in reversed(lines):
        if not closed and not (_PHONE_LABEL.match(line) or _PHONE_ALONE.fullmatch(line)):
            continue
        for phone in _PHONE.finditer(line):
            digits = re.sub(r"\D", "", phone[1])
            code = _phone_country(digits)
            if code:
                return CountryGuess(code, "signature_phone", phone[0].strip())
    return None


def guess_country(domain: str | None, signature_text: str | None) -> CountryGuess | None:
    """The ccTLD's country, else the signature's (see the module docstring)."""
    found = country_from_domain(domain) if domain else None
    if found is None and signature_text:
        found = country_from_signature(signature_text)
    return found
