"""Contacts and companies from a message's address headers, and which known contacts may be duplicates.

:func:`message_parties` takes the people of a message — From, Reply-To and Cc of incoming mail; To and Cc
of our outgoing mail — leaving out the team's own addresses and domains, and gives each a
:class:`ContactAddress` (the comparison key and the display form) and, unless it is free mail, a
:class:`Company` per registrable domain (:mod:`.domains`). For incoming mail it also reads the customer's
own text (quotes removed): its language, and the country of the sender's company — ccTLD first, then the
signature (:mod:`.country`). Our outgoing mail gets no language or signature country: the text is ours.

Addresses: the domain is compared in lower-case ASCII (IDNA), the local part case-insensitively. RFC 5321
lets a server treat ``Hans.Weber`` and ``hans.weber`` as different mailboxes, but no server customers use
does, and two contacts for one person split their history, their owner and their SLA in two.
The display form keeps the local part as written and the domain in Unicode.

:func:`merge_candidates` proposes duplicates among known contacts: the same key (rows stored before
normalisation, or written differently: ``Hans@Example.DE`` and ``hans@example.de``), or the same name at
the same company (a buyer writing from a second address). Role names ("Sales", "采购") never count as a
name. Merging is the agent's decision.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from mailwarden.inbox.country import CountryGuess, guess_country
from mailwarden.inbox.domains import ascii_domain, is_free_mail, registrable_domain, unicode_domain
from mailwarden.inbox.language import LanguageGuess, detect_language
from mailwarden.inbox.quoting import customer_text
from mailwarden.mime import Address, ParsedMessage

__all__ = [
    "Company",
    "Contact",
    "ContactAddress",
    "KnownContact",
    "MergeCandidate",
    "Parties",
    "Role",
    "merge_candidates",
    "message_parties",
    "normalise_address",
]

Role = Literal["from", "reply_to", "cc", "to"]
_LOCAL = re.compile(r"[^\s@<>()\[\],;:\"]{1,64}")
_ROLE_NAMES = frozenset(
    {
        "sales", "info", "admin", "office", "support", "service", "purchasing", "purchase", "procurement",
        "buyer", "import", "export", "contact", "marketing", "accounts", "accounting", "hr", "team",
        "einkauf", "verkauf", "vertrieb", "achats", "compras", "ventas", "acquisti", "закупки",
        "采购", "采购部", "销售", "销售部", "外贸部", "客服", "业务部", "财务",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ContactAddress:
    key: str  # comparison key: local part case-folded @ ASCII domain; the contact's identity
    display: str  # local part as written @ Unicode domain
    domain: str  # ASCII, lower case


@dataclass(frozen=True, slots=True)
class Company:
    domain: str  # registrable domain, ASCII: the company's identity
    display_domain: str  # Unicode
    country: CountryGuess | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    address: ContactAddress
    name: str  # display name as decoded by mime, "" when none
    roles: tuple[Role, ...]
    company: Company | None  # None for free mail and addresses without a registrable domain


@dataclass(frozen=True, slots=True)
class Parties:
    contacts: tuple[Contact, ...]
    companies: tuple[Company, ...]
    language: LanguageGuess | None = None  # of the customer's own text (incoming mail only)
    #: the sender's country when it came from the signature (free mail, generic TLD); the ccTLD country
    #: is on the company
    sender_country: CountryGuess | None = None


def normalise_address(address: str) -> ContactAddress | None:
    """The :class:`ContactAddress` of ``address`` (``local@domain``, any case, Unicode or punycode
    domain), or None when it is not a usable mailbox address."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    encoded = ascii_domain(domain) if at else None
    if encoded is None or not _LOCAL.fullmatch(local):
        return None
    return ContactAddress(f"{local.casefold()}@{encoded}", f"{local}@{unicode_domain(encoded)}", encoded)


def _company(domain: str) -> Company | None:
    if is_free_mail(domain):
        return None
    registrable = registrable_domain(domain)
    if registrable is None:
        return None
    country = guess_country(registrable, None)
    return Company(registrable, unicode_domain(registrable), country)


def message_parties(
    parsed: ParsedMessage,
    *,
    outgoing: bool = False,
    own_addresses: Collection[str] = (),
    own_domains: Collection[str] = (),
) -> Parties:
    """The contacts, companies, language and sender country of ``parsed`` (see the module docstring).

    ``own_addresses`` and ``own_domains`` are the team's: its mailboxes and colleagues are never contacts.
    A free-mail domain in ``own_domains`` is ignored — many small exporters sell from 163.com or qq.com
    addresses, and their customers there are still customers; list such addresses in ``own_addresses``.
    """
    own_keys = {found.key for found in map(normalise_address, own_addresses) if found}
    own_registrable = {
        registrable_domain(domain) or domain.lower() for domain in own_domains if not is_free_mail(domain)
    }
    fields: list[tuple[Role, list[Address]]] = (
        [("to", parsed.to), ("cc", parsed.cc)]
        if outgoing
        else [("from", parsed.from_), ("reply_to", parsed.reply_to), ("cc", parsed.cc)]
    )
    roles: dict[str, list[Role]] = defaultdict(list)
    first: dict[str, tuple[ContactAddress, str]] = {}
    for role, addresses in fields:
        for address in addresses:
            normal = normalise_address(address.address)
            if normal is None or normal.key in own_keys:
                continue
            if (registrable_domain(normal.domain) or normal.domain) in own_registrable:
                continue
            if role not in roles[normal.key]:
                roles[normal.key].append(role)
            name = first.get(normal.key, (normal, ""))[1] or address.name.strip()
            first[normal.key] = (normal, name)
    written = "" if outgoing else customer_text(parsed.text)
    contacts: list[Contact] = []
    companies: dict[str, Company] = {}
    for key, (normal, name) in first.items():
        company = companies.get(registrable_domain(normal.domain) or "") or _company(normal.domain)
        if company is not None:
            companies.setdefault(company.domain, company)
        contacts.append(Contact(normal, name, tuple(roles[key]), company))
    sender = next((contact for contact in contacts if "from" in contact.roles), None)
    sender_country = None
    if sender is not None and (sender.company is None or sender.company.country is None):
        sender_country = guess_country(None, written)
    language = detect_language(written) if written else None
    return Parties(tuple(contacts), tuple(companies.values()), language, sender_country)


@dataclass(frozen=True, slots=True)
class KnownContact:
    """A stored contact, as the caller gives it to :func:`merge_candidates`."""

    contact_id: str
    address: str
    name: str
    company_domain: str | None


@dataclass(frozen=True, slots=True)
class MergeCandidate:
    contact_ids: tuple[str, ...]  # two or more, in the order given
    reason: Literal["same_address", "same_name_same_company"]


def _name_key(name: str) -> str | None:
    text = " ".join(unicodedata.normalize("NFKC", name).replace('"', " ").split()).casefold()
    if len(text) < 2 or "@" in text or text in _ROLE_NAMES:
        return None
    return text


def merge_candidates(contacts: Sequence[KnownContact]) -> list[MergeCandidate]:
    """Groups of ``contacts`` that look like one person (see the module docstring)."""
    by_address: dict[str, list[str]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for contact in contacts:
        normal = normalise_address(contact.address)
        by_address[normal.key if normal else contact.address.casefold()].append(contact.contact_id)
        name = _name_key(contact.name)
        company = registrable_domain(contact.company_domain) if contact.company_domain else None
        if name and company:
            by_name[(company, name)].append(contact.contact_id)
    found = [MergeCandidate(tuple(ids), "same_address") for ids in by_address.values() if len(ids) > 1]
    grouped = {frozenset(candidate.contact_ids) for candidate in found}
    for ids in by_name.values():
        if len(ids) > 1 and frozenset(ids) not in grouped:
            found.append(MergeCandidate(tuple(ids), "same_name_same_company"))
    return found
