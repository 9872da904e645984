"""The letters of the demo corpus: the fields templates are filled from, and a customer's or our message.

:func:`their_mail` writes as the customer (their zone, their mail client, their reply prefix),
:func:`our_mail` as the customer's agent sending from sales@ under their own name. Both quote the message
they answer the way the clients of that language do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailwarden.demo import corpus_text as en
from mailwarden.demo import corpus_text_zh as zh
from mailwarden.demo.corpus_clock import Builder
from mailwarden.demo.corpus_mime import Mail
from mailwarden.demo.corpus_model import SHARED_ADDRESS, Customer, Product

__all__ = ["XLSX", "fields", "our_mail", "quoted", "their_mail"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MAILERS_EN = ("Microsoft Outlook 16.0", "Apple Mail (2.3774.200.91)", "Mozilla Thunderbird 128.4.0")
_MAILERS_ZH = ("Foxmail 7.2.25.375[cn]", "QQMail 2.x", "Coremail Webmail Server")
_CNY_PER_USD = 7.15
#: what the team wrote with before mailwarden: Foxmail in Ningbo, Outlook abroad
_OUR_MAILER = {
    "Asia/Shanghai": "Foxmail 7.2.25.375[cn]",
    "Europe/Berlin": "Microsoft Outlook 16.0",
    "America/Sao_Paulo": "Microsoft Outlook 16.0",
}


def _money(value: float) -> str:
    return f"{value:,.2f}"


def fields(b: Builder, customer: Customer, product: Product, qty: int | None = None) -> dict[str, Any]:
    """Everything a template of :mod:`.corpus_text` or :mod:`.corpus_text_zh` may name."""
    rng = b.rng
    qty = qty or product.moq * rng.choice((1, 2, 3, 5, 10))
    qty2 = qty * rng.choice((2, 3, 5))
    price, price2 = product.usd, round(product.usd * rng.uniform(0.9, 0.96), 2)
    cny = round(product.usd * _CNY_PER_USD * 1.13, 1)
    agent = customer.owner
    first = customer.name.split()[0]
    return {
        "name": customer.name,
        "company": customer.company,
        "port": customer.port,
        "greeting": customer.greeting,
        "greeting_back": {"en": f"Dear {agent.display.split()[0]}", "zh": "张先生"}.get(
            customer.lang, "張先生"
        ),
        "product": product.en,
        "product_zh": product.zh,
        "product_tw": product.tw,
        "unit_tw": product.unit_zh.replace("个", "個").replace("只", "隻").replace("台", "臺"),
        "model": product.model,
        "qty": f"{qty:,}",
        "qty2": f"{qty2:,}",
        "unit": product.unit_en,
        "unit_zh": product.unit_zh,
        "moq": f"{product.moq:,}",
        "price": _money(price),
        "price2": _money(price2),
        "total": _money(price * qty),
        "price_cny": _money(cny),
        "price2_cny": _money(round(cny * price2 / price, 1)),
        "total_cny": _money(cny * qty),
        "discount": rng.choice((5, 8, 10)),
        "lead": product.lead_days,
        "first": first,
        "sign": en.signature(agent) if customer.lang == "en" else zh.signature_zh(agent),
        "attached": "",
        "qno": "",
        "quoted_on": "",
        "valid": "",
    }


def quoted(parent: Mail, *, lang: str) -> str:
    """The quoted original under a reply, as the mail clients of each language write it."""
    lines = parent.text.splitlines()[:14]
    if lang == "en":
        head = f"On {parent.date:%a, %d %b %Y at %H:%M}, {parent.sender[0]} <{parent.sender[1]}> wrote:"
        return "\n\n" + head + "\n" + "\n".join(f"> {line}".rstrip() for line in lines)
    head = (
        f"------------------ 原始邮件 ------------------\n发件人: {parent.sender[0]} <{parent.sender[1]}>\n"
        f"发送时间: {parent.date:%Y年%m月%d日 %H:%M}\n主题: {parent.subject}"
    )
    return "\n\n" + head + "\n\n" + "\n".join(lines)


def _re(subject: str, prefix: str) -> str:
    bare = subject
    while bare[:3].lower() == "re:" or bare.startswith("回复："):
        bare = bare[3:].lstrip()
    return f"{prefix} {bare}" if prefix.endswith(":") else f"{prefix}{bare}"


def their_mail(
    b: Builder, customer: Customer, when: datetime, subject: str, text: str, parent: Mail | None = None,
    **extra: Any,
) -> Mail:  # fmt: skip
    """A message from ``customer`` to sales@ at ``when`` (UTC), dated in the customer's own zone."""
    lang = "en" if customer.lang == "en" else "zh-CN"
    mailer = b.rng.choice(_MAILERS_EN if lang == "en" else _MAILERS_ZH)
    if parent is not None and not subject:
        subject = _re(parent.subject, "Re:" if lang == "en" else "回复：")
    if parent is not None:
        text += quoted(parent, lang="en" if lang == "en" else "zh")
    return Mail(
        sender=(customer.name, customer.email),
        to=[("Hengda Sales", SHARED_ADDRESS)],
        subject=subject,
        date=b.local(when, customer.timezone),
        message_id=b.message_id(customer.email, when),
        text=text,
        parent=parent,
        headers=[("X-Mailer", mailer), ("Content-Language", lang)],
        **extra,
    )


def our_mail(
    b: Builder, customer: Customer, when: datetime, subject: str, text: str, parent: Mail | None = None,
    **extra: Any,
) -> Mail:  # fmt: skip
    """A message from the customer's agent, sent as sales@ with the agent's name, in the agent's zone."""
    agent = customer.owner
    if parent is not None and not subject:
        subject = _re(parent.subject, "RE:" if customer.lang == "en" else "回复：")
    if parent is not None:
        text += quoted(parent, lang="en" if customer.lang == "en" else "zh")
    return Mail(
        sender=(agent.display, SHARED_ADDRESS),
        to=[(customer.name, customer.email)],
        subject=subject,
        date=b.local(when, agent.timezone),
        message_id=b.message_id(SHARED_ADDRESS, when),
        text=text,
        parent=parent,
        headers=[
            ("X-Mailer", _OUR_MAILER[agent.timezone]),
            ("Organization", "Ningbo Hengda Industrial Co., Ltd."),
        ],
        **extra,
    )
