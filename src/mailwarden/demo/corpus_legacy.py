"""Chinese mail in legacy charsets, our suppliers, and the drafts.

A domestic trader on an old Foxmail still sends GB2312, and a Taiwan buyer's Outlook sends Big5: the
raw bytes of those messages are not UTF-8, so the demo shows the archive and search reading them right.
Our own replies are UTF-8, as every current client writes. Supplier mail (castings, cartons) is filed in
``Suppliers``; the drafts are an agent's unfinished work in ``Drafts``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mailwarden.demo import corpus_text_zh as zh
from mailwarden.demo.corpus_clock import Builder, Item
from mailwarden.demo.corpus_letters import fields, our_mail, their_mail
from mailwarden.demo.corpus_mime import Mail, legacy_bytes, mail_bytes
from mailwarden.demo.corpus_model import SHARED_ADDRESS, Customer, Product

__all__ = ["SUPPLIERS", "big5_thread", "draft_reply", "gb2312_thread", "supplier_thread"]


def _legacy(b: Builder, customer: Customer, when_after: Mail | None, subject: str, text: str,
            parent: Mail | None, *, charset: str, mailer: str) -> Item | None:  # fmt: skip
    when = (
        b.start(customer.timezone, lo_days=6, hi_days=20)
        if when_after is None
        else b.slot(when_after.date, customer.timezone, 120, 2000)
    )
    if when is None:
        return None
    mail = Mail(
        sender=(customer.name, customer.email),
        to=[("", SHARED_ADDRESS)],
        subject=subject
        if parent is None
        else f"回复：{parent.subject}"
        if charset == "gb2312"
        else f"RE: {parent.subject}",
        date=b.local(when, customer.timezone),
        message_id=b.message_id(customer.email, when),
        text=text,
        parent=parent,
    )
    kind = "inquiry" if parent is None else "reply"
    return b.add("INBOX", legacy_bytes(mail, charset=charset, mailer=mailer), mail, kind)


def _inquiry_and_quote(
    b: Builder,
    customer: Customer,
    f: dict[str, Any],
    subject: str,
    text: str,
    charset: str,
    mailer: str,
    quotation: tuple[str, str],
) -> tuple[list[Item], Mail | None]:
    """The legacy-charset inquiry and our UTF-8 quotation answering it (None: the month ended first)."""
    first = _legacy(b, customer, None, subject, text, None, charset=charset, mailer=mailer)
    if first is None:
        return [], None
    quote_at = b.slot(first.mail.date, customer.owner.timezone, 30, 600)
    if quote_at is None:
        return [first], None
    f["qno"] = b.quote_number(quote_at)
    quote = our_mail(b, customer, quote_at, quotation[0].format(**f), quotation[1].format(**f), first.mail)
    return [first, b.send("Sent", quote, "quotation")], quote


def gb2312_thread(b: Builder, customer: Customer, product: Product) -> list[Item]:
    """询价 in GB2312 (Foxmail), our quotation, the trader's GB2312 question, our answer."""
    f = fields(b, customer, product)
    subject = f"询价：{product.zh} {product.model} {f['qty']}{product.unit_zh}"
    text = (
        f"张先生您好！\n\n我司{customer.company}收到一个海外客户的询盘，需要{product.zh}（型号{product.model}）{f['qty']}"
        f"{product.unit_zh}，请报含税出厂价、交期和起订量。\n\n另外请问能否提供CE证书和检测报告？\n\n"
        f"谢谢！\n{customer.name}\n{customer.company}\n电话：0579-8555-1234"
    )
    mailer = "Foxmail 6, 15, 201, 23 [cn]"
    items, quote = _inquiry_and_quote(b, customer, f, subject, text, "gb2312", mailer, zh.QUOTATION_ZH)
    if quote is None:
        return items
    question = (
        f"张先生：\n\n报价收到。如果数量加到{f['qty2']}{product.unit_zh}，单价能优惠多少？"
        f"交期能否提前到20天？\n\n{customer.name}"
    )
    second = _legacy(b, customer, quote, "", question, quote, charset="gb2312", mailer=mailer)
    if second is not None:
        items.append(second)
        answer_at = b.slot(second.mail.date, customer.owner.timezone, 30, 900)
        if answer_at is not None:
            text = zh.ANSWERS_ZH[0].format(**f)
            items.append(b.send("Sent", our_mail(b, customer, answer_at, "", text, second.mail), "reply"))
    return items


def big5_thread(b: Builder, customer: Customer, product: Product) -> list[Item]:
    """詢價 in Big5 from a Taiwan buyer's Outlook, our quotation (UTF-8), the buyer's Big5 question."""
    f = fields(b, customer, product)
    subject, body = zh.BIG5_INQUIRY
    mailer = "Microsoft Outlook 14.0"
    text = body.format(**f)
    items, quote = _inquiry_and_quote(
        b, customer, f, subject.format(**f), text, "big5", mailer, zh.QUOTATION_TW
    )
    if quote is None:
        return items
    second = _legacy(
        b, customer, quote, "", zh.BIG5_QUESTION.format(**f), quote, charset="big5", mailer=mailer
    )
    if second is not None:
        items.append(second)
    return items


SUPPLIERS: tuple[Customer, ...] = (
    Customer("陈建国", "chenjg@tz-yonggu-casting.example", "台州永固铸造厂", "CN", "Asia/Shanghai", "zh",
             "bo", "陈厂长"),
    Customer("周敏", "zhoumin@nb-huaxin-pack.example", "宁波华鑫包装有限公司", "CN", "Asia/Shanghai",
             "zh", "bo", "周经理"),
)  # fmt: skip

_SUPPLIER_TALK = (
    (
        "关于HD-CP50泵体铸件的交期",
        "张波你好：\n\n上周下的2000件HD-CP50泵体铸件，因为限电，交期要推迟一周，预计下周五送到。"
        "抱歉，有问题电话联系。\n\n陈建国\n台州永固铸造厂",
        "陈厂长：\n\n收到。请务必下周五前送到，我们有一个德国的订单在等这批泵体，月底要出货。"
        "另外这批请附上材质报告。\n\n",
    ),
    (
        "纸箱报价（五层瓦楞，印刷两色）",
        "张先生您好：\n\n按贵司提供的尺寸，五层瓦楞纸箱两色印刷报价为每只人民币6.80元，起订量3000只，交期7天。"
        "\n\n周敏\n宁波华鑫包装有限公司",
        "周经理：\n\n价格可以，先订5000只，样箱确认后再批量生产。唛头稿件稍后发你。\n\n",
    ),
)


def supplier_thread(b: Builder, supplier: Customer, index: int) -> list[Item]:
    subject, theirs, ours = _SUPPLIER_TALK[index]
    start = b.start(supplier.timezone, lo_days=3, hi_days=24)
    if start is None:
        return []
    first = their_mail(b, supplier, start, subject, theirs)
    items = [b.send("Suppliers", first, "supplier")]
    answer_at = b.slot(start, supplier.owner.timezone, 20, 300)
    if answer_at is not None:
        text = ours + zh.signature_zh(supplier.owner)
        items.append(b.send("Sent", our_mail(b, supplier, answer_at, "", text, first), "supplier"))
    return items


def draft_reply(b: Builder, inquiry: Item, customer: Customer, text: str) -> Item | None:
    """An agent's unsent answer to ``inquiry``, saved a little after it arrived."""
    when = inquiry.when + timedelta(minutes=b.rng.randint(10, 50))
    if when > b.now - timedelta(minutes=5):
        return None
    mail = our_mail(b, customer, when, "", text, inquiry.mail)
    return b.add("Drafts", mail_bytes(mail), mail, "draft")
