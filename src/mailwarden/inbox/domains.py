"""Domains as companies see them: ASCII (IDNA) form, registrable domain, free-mail or not.

**Registrable domain** — ``mail.example.co.uk`` and ``example.co.uk`` are one company; ``a.co.uk`` and
``b.co.uk`` are two. Only the Public Suffix List says where the boundary lies, and it changes (new gTLDs,
new private suffixes), so it comes from the ``publicsuffixlist`` package: it ships the list inside the
package, needs no network and writes no cache, and is released again whenever the list changes (its version
is the list's date). ``tldextract`` fetches the list over the network unless told not to and then caches
it on disk; ``publicsuffix2`` has not been released since 2019. The private section of the list is used
too: ``shop1.myshopify.com`` and ``shop2.myshopify.com`` are different companies.

**IDNA** — domains are compared in their ASCII form, made with IDNA 2008 plus UTS #46 mapping (the
``idna`` package, as browsers do): ``Straße.de`` is ``xn--strae-oqa.de``, not ``strasse.de`` as the
standard library's IDNA 2003 codec would say. The Unicode form is kept for display.

**Free mail** — ``data/freemail.txt``: an address at gmail.com, qq.com or 163.com is a person's, and
must never become a company (every Gmail user would be one customer) nor give a country.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import idna
from publicsuffixlist import PublicSuffixList

__all__ = ["ascii_domain", "is_free_mail", "public_suffix", "registrable_domain", "unicode_domain"]


@cache
def _list() -> PublicSuffixList:
    # accept_unknown: a TLD missing from the list (an internal ".corp", a brand-new one) still has
    # registrable domains: example.corp is one company, not none
    return PublicSuffixList(accept_unknown=True)


@cache
def _free_mail() -> tuple[frozenset[str], frozenset[str]]:
    """(exact domains, brand labels of "name.*" lines) from the data file."""
    text = resources.files("mailwarden.inbox").joinpath("data/freemail.txt").read_text("utf-8")
    exact: set[str] = set()
    brands: set[str] = set()
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip().lower()
        if entry.endswith(".*"):
            brands.add(entry[:-2])
        elif entry:
            exact.add(entry)
    return frozenset(exact), frozenset(brands)


@cache
def ascii_domain(domain: str) -> str | None:
    """``Example.DE.`` -> ``example.de``, ``例子.中国`` -> ``xn--fsqu00a.xn--fiqs8s``; None: not a domain."""
    text = domain.strip().rstrip(".")
    if not text or len(text) > 253 or text.startswith("[") or "." not in text:
        return None  # address literals ([192.0.2.1]) and bare host names belong to no company
    try:
        encoded = idna.encode(text, uts46=True).decode("ascii") if not text.isascii() else text
    except idna.IDNAError:
        try:
            encoded = text.encode("idna").decode("ascii")  # IDNA 2003 accepts some that 2008 refuses
        except UnicodeError:
            return None
    encoded = encoded.lower()
    labels = encoded.split(".")
    if any(not label or len(label) > 63 or label.startswith("-") or label.endswith("-") for label in labels):
        return None
    return encoded


def unicode_domain(domain: str) -> str:
    """The readable form of an ASCII domain (``xn--fsqu00a.xn--fiqs8s`` -> ``例子.中国``)."""
    try:
        return idna.decode(domain)
    except idna.IDNAError:
        return domain


def registrable_domain(domain: str) -> str | None:
    """The domain a company registered (``mail.example.co.uk`` -> ``example.co.uk``), ASCII; None when
    ``domain`` is itself a public suffix (``co.uk``) or not a domain."""
    encoded = ascii_domain(domain)
    return None if encoded is None else _list().privatesuffix(encoded)


def public_suffix(domain: str) -> str | None:
    encoded = ascii_domain(domain)
    return None if encoded is None else _list().publicsuffix(encoded)


def is_free_mail(domain: str) -> bool:
    """Whether ``domain`` (any form, any subdomain) belongs to a free-mail provider of the data file."""
    encoded = ascii_domain(domain)
    if encoded is None:
        return False
    exact, brands = _free_mail()
    registrable = _list().privatesuffix(encoded) or encoded
    if encoded in exact or registrable in exact:
        return True
    suffix = _list().publicsuffix(registrable) or ""
    brand = registrable[: -len(suffix) - 1] if suffix and registrable.endswith("." + suffix) else ""
    return brand in brands
