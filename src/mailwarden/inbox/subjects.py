"""Subjects compared the way people see them: without "Re:", "AW:", "回复:", tags and spacing.

Used for one thing only: to *suggest* that a new mail from a contact continues one of that contact's
recent conversations (see :mod:`.threading`). Generic subjects ("Inquiry", "询价", "Hello") suggest
nothing: two mails called "Inquiry" are more often two inquiries than one.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["is_generic", "normalise_subject"]

#: reply and forward prefixes of the mail clients our customers use: English, German (AW, WG), Nordic (SV,
#: VS), Dutch (Antw, Doorst), French (TR), Spanish (RV), Portuguese (Res, Enc), Italian (R, I, Rif),
#: Polish (Odp, PD), Turkish (YNT, İLT), Russian (Ответ), Chinese and Japanese clients
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|doorst|tr|rv|res|enc|r|i|rif|odp|pd|ynt|ilt|ответ|отв|пересл"
    r"|回复|回覆|答复|答覆|转发|轉發|转寄|轉寄|返信|転送)(?:\s*[\[(]\d+[\])])?\s*[:：]|\[[^\]]{0,40}\]|【[^】]{0,40}】)\s*",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
#: subjects that say nothing about which conversation a mail belongs to (after normalisation)
_GENERIC = frozenset(
    {
        "",
        "no subject",
        "(no subject)",
        "untitled",
        "hello",
        "hi",
        "inquiry",
        "enquiry",
        "new inquiry",
        "quotation",
        "quote",
        "request for quotation",
        "rfq",
        "price",
        "price list",
        "order",
        "purchase order",
        "sample",
        "catalog",
        "catalogue",
        "question",
        "info",
        "information",
        "询盘",
        "询价",
        "报价",
        "你好",
        "您好",
        "无主题",
        "订单",
        "样品",
        "anfrage",
        "angebot",
        "bestellung",
        "consulta",
        "cotización",
        "pedido",
        "demande de prix",
        "devis",
        "commande",
        "richiesta",
        "preventivo",
        "запрос",
    }
)


def normalise_subject(subject: str) -> str:
    """``"RE: AW: [Ext] Quotation  LED"`` -> ``"quotation led"``: prefixes and leading tags removed
    (repeatedly), white space collapsed, compatibility forms folded (full-width letters), case folded."""
    text = unicodedata.normalize("NFKC", subject)
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return _SPACE.sub(" ", text).strip().casefold()


def is_generic(normalised: str) -> bool:
    """Whether a normalised subject is too generic to suggest anything (see the module docstring)."""
    return normalised.strip(" .!?:：。！？") in _GENERIC
