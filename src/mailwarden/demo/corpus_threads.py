"""Ordinary sales conversations: inquiry, quotation, questions and answers, chasers, sometimes an order.

One call of :func:`conversation` writes one thread between a customer and the agent who looks after the
customer's market. How far a thread gets is decided by the random source and by time: a thread that
started yesterday may hold only the unanswered inquiry. Inbound mail of a thread that became an order is
filed in ``Orders/2026``, of a thread that went quiet long ago sometimes in ``Quotations``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mailwarden.demo import corpus_text as en
from mailwarden.demo import corpus_text_zh as zh
from mailwarden.demo.corpus_clock import Builder, Item
from mailwarden.demo.corpus_files import pdf_document, xlsx_price_list
from mailwarden.demo.corpus_letters import XLSX, fields, our_mail, their_mail
from mailwarden.demo.corpus_mime import Attachment, Mail
from mailwarden.demo.corpus_model import PRODUCTS, Customer, Product
from mailwarden.demo.corpus_orders import deposit_mail, proforma_mail

__all__ = ["conversation"]


def _quote_attachment(b: Builder, customer: Customer, product: Product, f: dict[str, Any],
                      when: datetime) -> Attachment | None:  # fmt: skip
    roll = b.rng.random()
    if roll < 0.35:
        lines = [
            "Ningbo Hengda Industrial Co., Ltd. - No. 88 Jinhai Road, Beilun, Ningbo, China",
            "",
            f"Quotation No.: {f['qno']}        Date: {when:%Y-%m-%d}",
            f"To: {customer.company} - attn. {customer.name if customer.lang == 'en' else customer.email}",
            "",
            f"Item: {product.en}",
            f"Model: {product.model}",
            f"Quantity: {f['qty']} {product.unit_en}",
            f"Unit price: USD {f['price']} FOB Ningbo",
            f"Total amount: USD {f['total']}",
            f"Lead time: {product.lead_days} days after deposit",
            "Payment terms: 30% T/T deposit, 70% against copy of B/L",
            "Validity: 30 days",
        ]
        data = pdf_document(f"QUOTATION {f['qno']}", lines, when=when)
        return Attachment(f"Quotation_{f['qno']}.pdf", "application/pdf", data)
    if roll < 0.6:
        rows = [(p.model, p.en, p.unit_en, p.usd, p.moq) for p in PRODUCTS]
        data = xlsx_price_list("Hengda price list 2026", rows, when=when.replace(hour=0, minute=0, second=0))
        return Attachment("Hengda_Price_List_2026.xlsx", XLSX, data)
    return None


def conversation(b: Builder, customer: Customer, product: Product) -> list[Item]:
    """One thread; returns its messages (already kept in ``b``)."""
    rng, lang = b.rng, customer.lang
    agent = customer.owner
    f = fields(b, customer, product)
    items: list[Item] = []
    start = b.start(customer.timezone)
    if start is None:
        return items
    subject, body = rng.choice(en.INQUIRIES if lang == "en" else zh.INQUIRIES_ZH)
    html = None
    if lang == "en" and rng.random() < 0.4:  # Outlook writes both
        paragraphs = body.format(**f).split("\n\n")
        html = (
            "<html><body>"
            + "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
            + "</body></html>"
        )
    cc = [(f"{customer.company} purchasing", f"purchasing@{customer.domain}")] if rng.random() < 0.2 else []
    inquiry = their_mail(b, customer, start, subject.format(**f), body.format(**f), html=html, cc=cc)
    items.append(b.send("INBOX", inquiry, "inquiry", flagged=rng.random() < 0.12))
    slow = rng.random() < 0.15
    when = b.slot(start, agent.timezone, *((2400, 4200) if slow else (25, 900)))
    if slow and when is not None:
        chase = b.slot(start, customer.timezone, 1500, 2300)
        if chase is not None and chase < when:
            text = (
                en.FOLLOW_UP_THEIRS.format(**f)
                if lang == "en"
                else "您好，\n\n请问报价出来了吗？客户在催。\n\n{name}".format(**f)
            )
            items.append(b.send("INBOX", their_mail(b, customer, chase, "", text, inquiry), "follow-up"))
    if when is None:
        return _filed(items, b, order=False)
    f["qno"] = b.quote_number(when)
    attachment = _quote_attachment(b, customer, product, f, when)
    if attachment is not None:
        f["attached"] = (
            f"Please find attached {attachment.filename}.\n\n"
            if lang == "en"
            else f"附件为{attachment.filename}，请查收。\n\n"
        )
    subject, body = en.QUOTATION if lang == "en" else zh.QUOTATION_ZH
    attached = [attachment] if attachment else []
    quote = our_mail(b, customer, when, subject.format(**f), body.format(**f), inquiry, attachments=attached)
    items.append(b.send("Sent", quote, "quotation"))
    last, rounds, order = quote, 0, False
    while True:
        reply_at = b.slot(last.date, customer.timezone, 90, 3000)
        answers = rng.random() < (0.7 if rounds == 0 else 0.45)
        if reply_at is None or not answers:
            break
        questions = en.QUESTIONS if lang == "en" else zh.QUESTIONS_ZH
        if rounds >= 1 or rng.random() < 0.25:
            closing = 1 if rng.random() < 0.3 else 0
            text = (en.CLOSINGS if lang == "en" else zh.CLOSINGS_ZH)[closing].format(**f)
            last = their_mail(b, customer, reply_at, "", text, last)
            items.append(b.send("INBOX", last, "order" if closing else "reply"))
            if closing:
                order = _proforma(b, customer, product, f, last, items)
            return _filed(items, b, order=order)
        index = rng.randrange(len(questions))
        question = their_mail(b, customer, reply_at, "", questions[index].format(**f), last)
        items.append(b.send("INBOX", question, "reply"))
        answer_at = b.slot(reply_at, agent.timezone, 20, 1000)
        if answer_at is None:
            return _filed(items, b, order=False)
        answers_bank = en.ANSWERS if lang == "en" else zh.ANSWERS_ZH
        last = our_mail(b, customer, answer_at, "", answers_bank[index].format(**f), question)
        items.append(b.send("Sent", last, "reply"))
        rounds += 1
    if last is quote:
        chase_at = b.slot(quote.date, agent.timezone, 4000, 7000)
        if chase_at is not None:
            f["quoted_on"] = f"{quote.date:%d %b}" if lang == "en" else f"{quote.date:%m月%d日}"
            f["valid"] = f"{quote.date + timedelta(days=30):%d %B %Y}"
            text = (en.FOLLOW_UP_OURS if lang == "en" else zh.FOLLOW_UP_OURS_ZH).format(**f)
            items.append(b.send("Sent", our_mail(b, customer, chase_at, "", text, quote), "follow-up"))
    return _filed(items, b, order=False)


def _proforma(b: Builder, customer: Customer, product: Product, f: dict[str, Any], request: Mail,
              items: list[Item]) -> bool:  # fmt: skip
    """The PI asked for in ``request``: our PDF, then the buyer's deposit notice. True if the PI went out."""
    sent_at = b.slot(request.date, customer.owner.timezone, 30, 600)
    if sent_at is None:
        return False
    pi = proforma_mail(b, customer, product, f, request, sent_at)
    items.append(b.send("Sent", pi, "proforma"))
    paid_at = b.slot(sent_at, customer.timezone, 600, 4000)
    if paid_at is not None:
        items.append(b.send("INBOX", deposit_mail(b, customer, f, pi, paid_at), "order", flagged=True))
    return True


def _filed(items: list[Item], b: Builder, *, order: bool) -> list[Item]:
    """Move a finished thread's inbound mail out of INBOX the way the team files it."""
    if not items:
        return items
    quiet = items[-1].when < b.now - timedelta(days=12)
    target = "Orders/2026" if order else ("Quotations" if quiet and b.rng.random() < 0.5 else None)
    if target is not None:
        for item in items:
            if item.folder == "INBOX":
                item.folder = target
    return items
