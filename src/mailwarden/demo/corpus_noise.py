"""Machine mail in the demo corpus: out-of-office replies, a bounce, newsletters, platform notices, spam.

Each carries the headers real senders put on it — RFC 3834 ``Auto-Submitted``, Exchange's out-of-office
pair, RFC 3464 reports, RFC 2369/2919/8058 list headers — because the demo shows the inbox filing them as
noise from those headers, never from a subject alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mailwarden.demo.corpus_clock import Builder, Item
from mailwarden.demo.corpus_letters import fields, our_mail, their_mail
from mailwarden.demo.corpus_mime import Mail, dsn_bytes, mail_bytes
from mailwarden.demo.corpus_model import DEMO_DOMAIN, SHARED_ADDRESS, Customer, Product

__all__ = ["auto_reply", "bounce_thread", "newsletters", "notifications", "spam"]


def auto_reply(b: Builder, customer: Customer, parent: Mail, *, back: datetime | None = None) -> Item | None:
    """The customer's out-of-office answer to ``parent``, a minute or two after it arrived.

    ``back``: when the customer writes again (they are away until that day at the latest).
    """
    when = parent.date + timedelta(seconds=b.rng.randint(20, 150))
    if when > b.now - timedelta(minutes=5):
        return None
    away = when + timedelta(days=b.rng.randint(3, 9))
    back = b.local(away if back is None else min(away, back), customer.timezone)
    if customer.lang == "en":
        subject = f"Automatic reply: {parent.subject}"
        text = (
            f"Thank you for your message. I am out of the office until {back:%A, %d %B} with limited access "
            f"to e-mail. For urgent matters please contact our office at office@{customer.domain}.\n\n"
            f"{customer.name}"
        )
        headers = [
            ("Auto-Submitted", "auto-replied"),
            ("X-Auto-Response-Suppress", "All"),
            ("X-MS-Exchange-Inbox-Rules-Loop", customer.email),
            ("Content-Language", "en-US"),
        ]
    else:
        subject = f"自动回复: {parent.subject}"
        text = (
            f"您好，您的邮件已收到。本人休假中，{back:%m月%d日}后回复。"
            f"急事请联系 office@{customer.domain}。\n\n{customer.name}"
        )
        headers = [("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes"), ("Content-Language", "zh-CN")]
    mail = Mail(
        sender=(customer.name, customer.email),
        to=[("", SHARED_ADDRESS)],
        subject=subject,
        date=b.local(when, customer.timezone),
        message_id=b.message_id(customer.email, when),
        text=text,
        parent=parent,
        headers=headers,
    )
    return b.add("INBOX", mail_bytes(mail, return_path=""), mail, "auto-reply")


def bounce_thread(b: Builder, customer: Customer, product: Product, wrong: str) -> list[Item]:
    """Inquiry; our quotation to a mistyped ``wrong`` address; the MTA's bounce; the quotation resent."""
    f = fields(b, customer, product)
    items: list[Item] = []
    start = b.start(customer.timezone, lo_days=9, hi_days=16)
    assert start is not None  # days back is always inside the window
    inquiry = their_mail(
        b, customer, start, f"Inquiry: {product.en}",
        f"Dear Sales,\n\nplease send us your offer for {f['qty']} {product.unit_en} {product.en}, CIF "
        f"{customer.port}. You can also call me on my mobile.\n\nKatrin Vogel\n{customer.company}",
    )  # fmt: skip
    items.append(b.send("INBOX", inquiry, "inquiry"))
    sent_at = b.slot(start, customer.owner.timezone, 60, 400)
    if sent_at is None:
        return items
    f["qno"] = b.quote_number(sent_at)
    text = (
        f"{customer.greeting},\n\nthank you for your inquiry. Our offer: {f['qty']} {product.unit_en} "
        f"{product.model}, USD {f['price']} per unit FOB Ningbo, total USD {f['total']}; lead time "
        f"{product.lead_days} days.\n\nBest regards,\n{f['sign']}"
    )
    quote = our_mail(b, customer, sent_at, f"Quotation {f['qno']} - {product.model}", text, inquiry)
    wrong_quote = Mail(
        sender=quote.sender, to=[(customer.name, wrong)], subject=quote.subject, date=quote.date,
        message_id=quote.message_id, text=quote.text, parent=inquiry, headers=quote.headers,
    )  # fmt: skip
    wrong_raw = mail_bytes(wrong_quote)
    items.append(b.add("Sent", wrong_raw, wrong_quote, "quotation"))
    bounced_at = sent_at + timedelta(seconds=b.rng.randint(4, 40))
    report = Mail(
        sender=("Mail Delivery System", f"MAILER-DAEMON@{DEMO_DOMAIN}"),
        to=[("", SHARED_ADDRESS)],
        subject="Undelivered Mail Returned to Sender",
        date=b.local(bounced_at, customer.owner.timezone),
        message_id=b.message_id(f"MAILER-DAEMON@{DEMO_DOMAIN}", bounced_at),
        text=(
            f"This is the mail system at host mx.{DEMO_DOMAIN}.\n\nI'm sorry to have to inform you that your "
            "message could not\nbe delivered to one or more recipients. It's attached below.\n\n"
            "For further assistance, please send mail to postmaster.\n\n"
            f"                   The mail system\n\n<{wrong}>: host mx.{customer.domain}[192.0.2.80] said: "
            f"550 5.1.1\n    <{wrong}>: Recipient address rejected: User unknown in virtual mailbox\n"
            "    table (in reply to RCPT TO command)"
        ),
    )
    raw = dsn_bytes(report, wrong_quote, wrong_raw, recipient=wrong, status="5.1.1",
                    diagnostic=f"550 5.1.1 <{wrong}>: Recipient address rejected: User unknown")  # fmt: skip
    items.append(b.add("INBOX", raw, report, "bounce"))
    resend_at = b.slot(bounced_at, customer.owner.timezone, 15, 200)
    if resend_at is None:
        return items
    fixed = our_mail(
        b, customer, resend_at, quote.subject,
        f"{customer.greeting},\n\nmy first mail did not reach you (a typo in the address, sorry). Our offer "
        f"again:\n\n{text.partition(chr(10) * 2)[2]}",
        inquiry,
    )  # fmt: skip
    items.append(b.send("Sent", fixed, "quotation"))
    answer_at = b.slot(resend_at, customer.timezone, 200, 2000)
    if answer_at is not None:
        thanks = "Dear Dana,\n\ngot it now, thank you. We will check and revert.\n\nKatrin"
        items.append(b.send("INBOX", their_mail(b, customer, answer_at, "", thanks, fixed), "reply"))
    return items


_FAIR = ("Canton Fair Connect", "news@cantonfair-connect.example", "news.cantonfair-connect.example")
_FREIGHT = ("OceanLink Logistics", "rates@oceanlink-logistics.example", "rates.oceanlink-logistics.example")


def _bulk(b: Builder, sender: tuple[str, str, str], days_back: float, subject: str, text: str,
          folder: str = "INBOX") -> Item | None:  # fmt: skip
    name, address, list_id = sender
    when = b.slot(b.now - timedelta(days=days_back), "Asia/Shanghai", 0, 60)
    if when is None:
        return None
    domain = address.rpartition("@")[2]
    token = f"{b.rng.getrandbits(40):010x}"
    html = (
        "<html><body>"
        + "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        + (
            f'<p style="font-size:small"><a href="https://{domain}/u/{token}">Unsubscribe</a></p></body></html>'
        )
    )
    mail = Mail(
        sender=(name, address), to=[("", SHARED_ADDRESS)], subject=subject,
        date=b.local(when, "Asia/Shanghai"),
        message_id=b.message_id(address, when), text=text + f"\n\nUnsubscribe: mailto:unsubscribe@{domain}",
        html=html,
        headers=[
            ("List-Id", f"{name} <{list_id}>"),
            ("List-Unsubscribe", f"<mailto:unsubscribe@{domain}?subject=unsubscribe-{token}>, "
                                 f"<https://{domain}/u/{token}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "bulk"),
            ("Feedback-ID", f"weekly:{token[:6]}:{domain}"),
        ],
    )  # fmt: skip
    return b.add(folder, mail_bytes(mail, return_path=f"bounces+{token}@{domain}"), mail, "newsletter")


def newsletters(b: Builder) -> list[Item]:
    """A trade fair's weekly news (the oldest already in Trash) and a forwarder's weekly freight rates."""
    found = []
    for week in range(4):
        found.append(_bulk(
            b, _FAIR, 3.5 + 7 * week,
            f"Canton Fair Connect weekly: {('pumps', 'valves', 'solar', 'tools')[week]} buyers",
            "This week on Canton Fair Connect: 1,240 new buyer requests in the machinery category.\n\n"
            "Featured: water pumps and valves for Middle East and Africa projects.",
            "Trash" if week == 3 else "INBOX",
        ))  # fmt: skip
        rate = 1450 + b.rng.randint(-200, 300)
        found.append(_bulk(
            b, _FREIGHT, 1.5 + 7 * week, f"本周运价 / Weekly rates: Ningbo - Hamburg USD {rate}/40HQ",
            f"宁波-汉堡 USD {rate}/40HQ，宁波-桑托斯 USD {rate + 900}/40HQ，"
            f"宁波-杰贝阿里 USD {rate - 400}/40HQ。\n\n"
            "Rates valid for sailings in the next 14 days, subject to space and GRI.",
        ))  # fmt: skip
    return [item for item in found if item is not None]


def notifications(b: Builder) -> list[Item]:
    """The B2B platform telling us about new buyer messages there (RFC 3834 auto-generated)."""
    found = []
    for number, days_back in enumerate((2.2, 9.6, 18.1), start=1):
        when = b.slot(b.now - timedelta(days=days_back), "Asia/Shanghai", 0, 30)
        if when is None:
            continue
        address = "noreply@tradeboard.example"
        mail = Mail(
            sender=("TradeBoard", address), to=[("", SHARED_ADDRESS)],
            subject=f"You have {number + 1} new buyer messages on TradeBoard",
            date=b.local(when, "Asia/Shanghai"),
            message_id=b.message_id(address, when),
            text=f"Hello Hengda,\n\nYou have {number + 1} new buyer messages waiting. Log in to TradeBoard "
                 "to "
                 "reply within 24 hours and keep your response rate high.\n\nThis is an automatic message; "
                 "please do not reply.",
            headers=[("Auto-Submitted", "auto-generated")],
        )  # fmt: skip
        found.append(b.add("INBOX", mail_bytes(mail, return_path="bounce@tradeboard.example"), mail,
                           "notification"))  # fmt: skip
    return found


_SPAM = (
    ("Top SEO", "seo.master@rank-first.example", "Get your website on Google page 1 in 7 days!!!",
     "Dear Website Owner,\n\nWe checked demo.test and found 37 SEO errors. Reply now for a FREE audit."),
    ("邮箱管理员", "admin@mail-verify-center.example", "【重要】您的邮箱容量已满，请立即验证",
     "尊敬的用户：\n\n您的邮箱 sales@demo.test 容量已满，24小时内未验证将被停用。请点击链接验证。"),
    ("Container Deals", "offers@cheap-containers.example", "Used 40ft containers from USD 900 - limited",
     "Hello,\n\nWe sell used 20ft and 40ft containers, cargo worthy, pick-up Ningbo. Reply for stock list."),
    ("Payment Dept", "payments@secure-invoice-portal.example", "RE: Overdue invoice #88231 - final notice",
     "Please find the overdue invoice on our secure portal. Failure to pay will result in legal action."),
)  # fmt: skip


def spam(b: Builder) -> list[Item]:
    found = []
    for index, (name, address, subject, text) in enumerate(_SPAM):
        when = b.now - timedelta(days=1 + 6.5 * index, minutes=b.rng.randint(0, 600))
        mail = Mail(
            sender=(name, address), to=[("", SHARED_ADDRESS)], subject=subject,
            date=b.local(when, "UTC"), message_id=b.message_id(address, when), text=text,
            headers=[("X-Spam-Flag", "YES"), ("X-Spam-Status", f"Yes, score={9 + index}.{index}")],
        )  # fmt: skip
        found.append(b.add("Junk", mail_bytes(mail), mail, "spam"))
    return found
