"""The demo's mail: a month of a Chinese exporter's shared ``sales@demo.test``, and the live inquiries.

:func:`build_corpus` writes about 200 messages dated over the 30 days before ``now``: English and Chinese
inquiries from Germany, France, the US, Brazil, India, the UAE and Chinese traders; quotations from the
agents (some with a PDF or an XLSX price list); questions, answers and chasers threaded by
``In-Reply-To``/``References``; proforma invoices; an L/C negotiation; out-of-office replies; a bounce;
newsletters, platform notices and spam; GB2312 and Big5 mail; supplier mail and drafts. :data:`KINDS`
names every ``SeedMessage.kind``. The corpus is a pure function of ``(now, seed)``: every choice comes from
``random.Random(seed)`` and every time from ``now``, so a demo reset rebuilds the same mailbox, shifted.

:func:`live_inquiry` writes the inquiries the running demo delivers, one new conversation each.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mailwarden.demo import corpus_text as en
from mailwarden.demo import corpus_text_zh as zh
from mailwarden.demo.corpus_clock import Builder, Item
from mailwarden.demo.corpus_legacy import SUPPLIERS, big5_thread, draft_reply, gb2312_thread, supplier_thread
from mailwarden.demo.corpus_letters import fields, their_mail
from mailwarden.demo.corpus_mime import mail_bytes
from mailwarden.demo.corpus_model import (
    AGENTS,
    CUSTOMERS,
    DEMO_DOMAIN,
    FOLDERS,
    KINDS,
    PRODUCTS,
    SHARED_ADDRESS,
    DemoAgent,
    SeedMessage,
)
from mailwarden.demo.corpus_noise import auto_reply, bounce_thread, newsletters, notifications, spam
from mailwarden.demo.corpus_orders import lc_thread
from mailwarden.demo.corpus_threads import conversation

__all__ = [
    "AGENTS",
    "CUSTOMERS",
    "DEMO_DOMAIN",
    "FOLDERS",
    "KINDS",
    "SHARED_ADDRESS",
    "DemoAgent",
    "SeedMessage",
    "build_corpus",
    "live_inquiry",
]

#: ordinary conversations are added until the corpus holds this many; a thread, the out-of-office
#: replies and the drafts added after it keep the total within 180..220
_TARGET = 196
_BY_NAME = {customer.name: customer for customer in CUSTOMERS}
_BY_EMAIL = {customer.email: customer for customer in CUSTOMERS}
#: who writes ordinary threads (the Big5 buyers write only their own, Big5, letters)
_REGULAR = tuple(customer for customer in CUSTOMERS if customer.lang in {"en", "zh"})
_PRODUCT = {product.model: product for product in PRODUCTS}


def build_corpus(now: datetime, *, seed: int = 8) -> list[SeedMessage]:
    """About 200 (180..220) messages over the 30 days before ``now``, oldest first; deterministic."""
    b = Builder(now, seed)
    lc_thread(b, _BY_NAME["Ahmed Al Mansouri"], _PRODUCT["SP-600"])
    gb2312_thread(b, _BY_NAME["王强"], _PRODUCT["BV-SS25"])
    big5_thread(b, _BY_NAME["陳志明"], _PRODUCT["GV-BR1"])
    big5_thread(b, _BY_NAME["黃家豪"], _PRODUCT["HD-BP370"])
    bounce_thread(b, _BY_NAME["Katrin Vogel"], _PRODUCT["PT-24L"], wrong="k.vogl@aqua-technik.example")
    for index, supplier in enumerate(SUPPLIERS):
        supplier_thread(b, supplier, index)
    newsletters(b)
    notifications(b)
    spam(b)
    for _ in range(200):  # a bound, not a count: every pass adds at least the inquiry, almost always
        if len(b.items) >= _TARGET:
            break
        conversation(b, b.rng.choice(_REGULAR), b.rng.choice(PRODUCTS))
    _out_of_office(b)
    _drafts(b)
    return b.seeds()


def _out_of_office(b: Builder) -> None:
    """Two English and two Chinese customers are away when a quotation of ours arrives.

    Only a customer who then writes nothing for two days is away, and is back by the day they next write.
    """
    quotes = [item for item in b.items if item.kind == "quotation" and item.mail.to[0][1] in _BY_EMAIL]
    away: list[tuple[Item, datetime | None]] = []
    for item in quotes:
        later = [
            other.when
            for other in b.items
            if other.mail.sender[1] == item.mail.to[0][1] and other.when > item.when
        ]
        back = min(later, default=None)
        if back is None or back - item.when > timedelta(days=2):
            away.append((item, back))
    for lang in ("en", "zh"):
        mine = [pair for pair in away if _BY_EMAIL[pair[0].mail.to[0][1]].lang == lang]
        for item, back in b.rng.sample(mine, min(2, len(mine))):
            auto_reply(b, _BY_EMAIL[item.mail.to[0][1]], item.mail, back=back)


def _drafts(b: Builder) -> None:
    """An agent's half-written answers to the newest English and Chinese inquiries nobody answered yet."""
    answered = {item.mail.parent.message_id for item in b.items if item.mail.parent and not item.mail.inbound}
    open_inquiries = sorted(
        (item for item in b.items if item.kind == "inquiry" and item.mail.message_id not in answered),
        key=lambda item: item.when,
        reverse=True,
    )
    for lang in ("en", "zh"):
        for item in open_inquiries:
            customer = _BY_EMAIL.get(item.mail.sender[1])
            if customer is None or customer.lang != lang:
                continue
            agent = customer.owner
            text = (
                f"{customer.greeting},\n\nThank you for your inquiry. Our price for [check the quantity] is "
                f"USD [...] FOB Ningbo; lead time to be confirmed with the factory.\n\nBest regards,\n"
                f"{en.signature(agent)}"
                if lang == "en"
                else f"{customer.greeting}您好：\n\n感谢询价！价格待工厂确认后报给您（交期待定）。"
                f"\n\n{zh.signature_zh(agent)}"
            )
            if draft_reply(b, item, customer, text) is not None:
                break


def live_inquiry(number: int, now: datetime) -> bytes:
    """The ``number``-th (1, 2, ...) new inquiry the running demo delivers, dated ``now``.

    Customers and products rotate with ``number``; every other one is Chinese (询盘/询价). The Message-ID
    holds ``now`` and ``number``, so inquiries of one run, and of runs after a reset, never share one.
    The bytes are what the customer's client submits: no Return-Path or Received, the server adds those.
    """
    if number < 1:
        raise ValueError("number counts from 1")
    rng = random.Random(number)  # noqa: S311 - sample text, not cryptography
    english = [customer for customer in _REGULAR if customer.lang == "en"]
    chinese = [customer for customer in _REGULAR if customer.lang == "zh"]
    pool = chinese if number % 2 == 0 else english
    customer = pool[(number // 2) % len(pool)]
    product = PRODUCTS[(number * 3) % len(PRODUCTS)]
    b = Builder(now, number)
    f = fields(b, customer, product)
    bank = en.INQUIRIES if customer.lang == "en" else zh.INQUIRIES_ZH
    subject, body = bank[(number // 2) % len(bank)]
    when = now.astimezone(UTC).replace(microsecond=0)
    mail = their_mail(b, customer, when, subject.format(**f), body.format(**f))
    unique = f"{when:%Y%m%d%H%M%S}.live{number}.{rng.getrandbits(32):08x}@{customer.domain}"
    return mail_bytes(replace(mail, message_id=unique), trace=False)
