"""A company's country: from its country-code TLD, else from the sender's signature; with the evidence.

* **ccTLD** — ``example.de`` is DE, ``example.co.uk`` GB (ISO 3166 says GB, the TLD says uk), ``例子.中国``
  CN. Never for a free-mail domain (``yahoo.co.jp`` says where Yahoo is, not the customer), and never for
  the ccTLDs sold worldwide as generic names (.io, .co, .ai, .me, .tv, ...) nor for .eu.
* **signature** — the last lines the customer wrote (quotes removed, see :mod:`.quoting`): a country name
  in English, its own language or Chinese ("Germany", "Deutschland", "德国"), else an international phone
  number's calling code (+49, 0049). +1 is left alone: it is shared by the US, Canada and the Caribbean.

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
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)\s?(\d(?:[\s\-./()]*\d){7,15})")
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


def country_from_signature(text: str) -> CountryGuess | None:
    """A country named, or dialled, in the last lines of ``text`` (the customer's own words), bottom up."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][-_SIGNATURE_LINES:]
    for line in reversed(lines):
        name = _NAME_PATTERN.search(line)
        if name:
            return CountryGuess(_CODE_OF_NAME[name[0].casefold()], "signature_name", name[0])
    for line in reversed(lines):
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
