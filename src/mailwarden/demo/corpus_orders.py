"""Orders and payment: the proforma invoice, the buyer's deposit notice, and a letter-of-credit thread.

The L/C thread is the one export sales teams fear: the buyer's bank drafts an MT700 whose clauses the
seller cannot meet (a shipment date too early, an inspection certificate from a named company), the seller
asks for an amendment (MT707), and at presentation the negotiating bank still finds a discrepancy that the
buyer must waive. Field tags and wording follow SWIFT MT700/MT707 and UCP 600.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mailwarden.demo.corpus_clock import Builder, Item
from mailwarden.demo.corpus_files import pdf_document
from mailwarden.demo.corpus_letters import fields, our_mail, their_mail
from mailwarden.demo.corpus_mime import Attachment, Mail
from mailwarden.demo.corpus_model import Customer, Product

__all__ = ["deposit_mail", "lc_thread", "proforma_mail", "proforma_pdf"]

_BANK = (
    "Beneficiary bank: Demo Commercial Bank, Ningbo Beilun Branch",
    "SWIFT: DEMOCNXXNGB    Account: 3310 0000 8888 0168 (USD)",
)


def proforma_pdf(
    customer: Customer, product: Product, f: dict[str, Any], number: str, when: datetime
) -> bytes:
    qty = int(str(f["qty2"]).replace(",", ""))
    price = float(str(f["price2"]).replace(",", ""))
    total = qty * price
    lines = [
        "Seller: Ningbo Hengda Industrial Co., Ltd., No. 88 Jinhai Road, Beilun, Ningbo 315800, China",
        f"Buyer: {customer.company if customer.lang == 'en' else customer.email}",
        f"PI No.: {number}        Date: {when:%Y-%m-%d}",
        "",
        "No.  Model      Description                                   Qty        Unit price    Amount",
        f"1    {product.model:<10} {product.en[:44]:<45} {qty:>8,}   USD {price:>8,.2f}   USD {total:,.2f}",
        "",
        f"TOTAL: USD {total:,.2f}  (FOB Ningbo, Incoterms 2020)",
        f"Lead time: {product.lead_days} days after receipt of the deposit",
        f"Payment: 30% T/T deposit (USD {total * 0.3:,.2f}), 70% balance against copy of B/L",
        "Packing: export carton on pallets; marks as per buyer's instruction",
        "Warranty: 18 months from B/L date",
        "",
        *_BANK,
        "",
        "Please sign and return a copy of this proforma invoice to confirm the order.",
    ]
    return pdf_document(f"PROFORMA INVOICE {number}", lines, when=when)


def proforma_mail(b: Builder, customer: Customer, product: Product, f: dict[str, Any], request: Mail,
                  when: datetime) -> Mail:  # fmt: skip
    """Our PI with its PDF, answering ``request``; its number goes in the subject as buyers search by it."""
    number = f"HD-PI-{when:%y%m}-{b.rng.randint(100, 999)}"
    f["pi"] = number
    pdf = Attachment(f"PI_{number}.pdf", "application/pdf", proforma_pdf(customer, product, f, number, when))
    if customer.lang == "en":
        subject = f"Proforma Invoice {number} - {product.model} x {f['qty2']}"
        text = (
            f"{customer.greeting},\n\nThank you for your order. Please find attached our proforma invoice "
            f"{number} for {f['qty2']} {product.unit_en} {product.model}.\n\nPlease sign and return it, and "
            "arrange the 30% deposit to the bank account shown on the PI. Production starts on receipt of "
            f"the deposit.\n\nBest regards,\n{f['sign']}"
        )
    else:
        subject = f"形式发票 {number} - {product.zh} {f['qty2']}{product.unit_zh}"
        text = (
            f"{customer.greeting}您好：\n\n感谢下单！附件是形式发票{number}，请核对后盖章回传，"
            f"并安排30%订金。收到订金后即安排生产。\n\n{f['sign']}"
        )
    return our_mail(b, customer, when, subject, text, request, attachments=[pdf])


def deposit_mail(b: Builder, customer: Customer, f: dict[str, Any], pi: Mail, when: datetime) -> Mail:
    """The buyer's "deposit paid" (an MT103 reference, as bank slips show it)."""
    reference = f"FT{when:%y%m%d}{b.rng.randint(10000, 99999)}"
    if customer.lang == "en":
        text = (
            f"Dear {customer.owner.display.split()[0]},\n\nWe have signed the PI {f['pi']} (copy in our "
            "system) "
            f"and paid the 30% deposit today, MT103 reference {reference}. Please confirm receipt and the "
            f"shipment date.\n\nRegards,\n{customer.name}"
        )
    else:
        text = (
            f"张先生：\n\n形式发票{f['pi']}已盖章确认，30%订金今天已付，银行流水号{reference}。请查收并确认交期。"
            f"\n\n{customer.name}"
        )
    return their_mail(b, customer, when, "", text, pi)


def _mt700(f: dict[str, Any], issued: datetime, product: Product, customer: Customer) -> str:
    expiry = issued + timedelta(days=60)
    shipment = issued + timedelta(days=30)
    return (
        f":27: SEQUENCE OF TOTAL: 1/1\n:40A: FORM OF DOCUMENTARY CREDIT: IRREVOCABLE\n"
        f":20: DOCUMENTARY CREDIT NUMBER: {f['lc']}\n:31C: DATE OF ISSUE: {issued:%y%m%d}\n"
        f":40E: APPLICABLE RULES: UCP LATEST VERSION\n"
        f":31D: DATE AND PLACE OF EXPIRY: {expiry:%y%m%d} CHINA\n"
        f":50: APPLICANT: {customer.company.upper()}, P.O. BOX 4411, DUBAI, U.A.E.\n"
        ":59: BENEFICIARY: NINGBO HENGDA INDUSTRIAL CO., LTD., NO. 88 JINHAI ROAD, BEILUN, NINGBO, CHINA\n"
        f":32B: CURRENCY CODE, AMOUNT: USD{f['lc_amount']}\n"
        ":41D: AVAILABLE WITH ... BY ...: ANY BANK BY NEGOTIATION\n:42C: DRAFTS AT: SIGHT\n"
        ":43P: PARTIAL SHIPMENTS: NOT ALLOWED\n:43T: TRANSHIPMENT: ALLOWED\n"
        f":44E: PORT OF LOADING: NINGBO, CHINA\n:44F: PORT OF DISCHARGE: JEBEL ALI, U.A.E.\n"
        f":44C: LATEST DATE OF SHIPMENT: {shipment:%y%m%d}\n"
        f":45A: DESCRIPTION OF GOODS: {f['qty2']} {product.unit_en.upper()} {product.en.upper()} "
        f"AS PER PROFORMA INVOICE {f['pi']}, FOB NINGBO\n"
        ":46A: DOCUMENTS REQUIRED:\n  +SIGNED COMMERCIAL INVOICE IN 3 ORIGINALS\n"
        "  +FULL SET CLEAN ON BOARD OCEAN BILLS OF LADING MADE OUT TO ORDER, MARKED FREIGHT COLLECT\n"
        "  +PACKING LIST IN 3 COPIES\n  +CERTIFICATE OF ORIGIN ISSUED BY CCPIT\n"
        "  +INSPECTION CERTIFICATE ISSUED BY SGS DUBAI\n"
        ":47A: ADDITIONAL CONDITIONS:\n  +ALL DOCUMENTS MUST SHOW THIS L/C NUMBER\n"
        "  +THIRD PARTY DOCUMENTS NOT ACCEPTABLE\n  +A DISCREPANCY FEE OF USD 80.00 WILL BE DEDUCTED\n"
        ":71B: CHARGES: ALL BANKING CHARGES OUTSIDE U.A.E. ARE FOR BENEFICIARY'S ACCOUNT\n"
        ":48: PERIOD FOR PRESENTATION: 21 DAYS\n:49: CONFIRMATION INSTRUCTIONS: WITHOUT"
    )


def lc_thread(b: Builder, customer: Customer, product: Product) -> list[Item]:
    """Inquiry, quotation, acceptance, PI, L/C draft, amendment request, MT707, discrepancy, waiver."""
    f = fields(b, customer, product, qty=product.moq * 4)
    agent_tz, their_tz = customer.owner.timezone, customer.timezone
    items: list[Item] = []

    def theirs(after: datetime, lo: float, hi: float, subject: str, text: str, parent: Mail | None,
               kind: str, **extra: Any) -> Mail | None:  # fmt: skip
        when = b.slot(after, their_tz, lo, hi)
        if when is None:
            return None
        mail = their_mail(b, customer, when, subject, text, parent, **extra)
        items.append(b.send("Orders/2026", mail, kind))
        return mail

    def ours(after: datetime, lo: float, hi: float, subject: str, text: str, parent: Mail,
             kind: str, **extra: Any) -> Mail | None:  # fmt: skip
        when = b.slot(after, agent_tz, lo, hi)
        if when is None:
            return None
        mail = our_mail(b, customer, when, subject, text, parent, **extra)
        items.append(b.send("Sent", mail, kind))
        return mail

    start = b.start(their_tz, lo_days=27.5, hi_days=28.5)
    assert start is not None  # four weeks back is always inside the window
    inquiry = their_mail(
        b, customer, start, f"Inquiry {product.model} for Dubai project - L/C at sight",
        f"Dear Sir,\n\nWe have a project in Dubai for {f['qty']} {product.unit_en} of {product.en}. Please "
        f"quote FOB Ningbo. Payment would be by irrevocable L/C at sight.\n\nRegards,\n{customer.name}\n"
        f"{customer.company}",
    )  # fmt: skip
    items.append(b.send("Orders/2026", inquiry, "inquiry"))
    f["qno"] = b.quote_number(inquiry.date)
    text = (
        f"{customer.greeting},\n\nThank you for your inquiry. For {f['qty2']} {product.unit_en} "
        f"{product.model} "
        f"our price is USD {f['price2']} per unit FOB Ningbo, payment by irrevocable L/C at sight, shipment "
        f"within 45 days after receipt of a workable L/C.\n\nBest regards,\n{f['sign']}"
    )
    subject = f"Quotation {f['qno']} - {product.model} (L/C at sight)"
    quote = ours(inquiry.date, 120, 600, subject, text, inquiry, "quotation")
    if quote is None:
        return items
    accept = theirs(quote.date, 900, 2400, "", f"Dear {customer.owner.display.split()[0]},\n\nWe accept your "
                    "offer. Please send the proforma invoice; our bank needs it to open the L/C."
                    f"\n\nRegards,\n{customer.name}", quote, "order")  # fmt: skip
    if accept is None:
        return items
    pi_at = b.slot(accept.date, agent_tz, 60, 400)
    if pi_at is None:
        return items
    pi = proforma_mail(b, customer, product, f, accept, pi_at)
    items.append(b.send("Sent", pi, "proforma"))
    qty = int(f["qty2"].replace(",", ""))
    f["lc"] = f"ILC{pi_at:%y}AE{b.rng.randint(100000, 999999)}"
    f["lc_amount"] = f"{qty * float(f['price2'].replace(',', '')):,.2f}".replace(",", "").replace(".", ",")
    draft_text = (
        f"Dear {customer.owner.display.split()[0]},\n\nBelow is the draft of the L/C our bank will issue "
        "(MT700). Please check it and confirm by return so that the bank can issue it this week.\n\n"
        + _mt700(f, pi_at + timedelta(days=4), product, customer)
        + f"\n\nRegards,\n{customer.name}"
    )
    draft = theirs(pi.date, 2400, 4800, f"L/C draft {f['lc']} for PI {f['pi']} - please check", draft_text,
                   pi, "lc")  # fmt: skip
    if draft is None:
        return items
    amend_text = (
        f"{customer.greeting},\n\nThank you for the L/C draft. Please ask your bank to amend the following "
        "before issuing:\n\n1. 44C latest date of shipment: our lead time is 45 days, please extend by 21 "
        "days "
        "and 31D expiry accordingly.\n2. 46A: the B/L must be marked FREIGHT COLLECT as the sale is FOB - "
        "this is correct; but please delete INSPECTION CERTIFICATE ISSUED BY SGS DUBAI or change it to "
        "INSPECTION CERTIFICATE ISSUED BY THE MANUFACTURER (SGS has no office in Ningbo for this product).\n"
        "3. 47A: please delete THIRD PARTY DOCUMENTS NOT ACCEPTABLE - the B/L is issued by the carrier.\n\n"
        f"Everything else is fine.\n\nBest regards,\n{f['sign']}"
    )
    amend = ours(draft.date, 60, 900, "", amend_text, draft, "lc")
    if amend is None:
        return items
    mt707 = (
        f"Dear {customer.owner.display.split()[0]},\n\nThe L/C is issued with your amendments, MT707 from "
        f"our bank:\n\n:20: SENDER'S REFERENCE: {f['lc']}\n:26E: NUMBER OF AMENDMENT: 1\n"
        f":44C: LATEST DATE OF SHIPMENT: {pi_at + timedelta(days=55):%y%m%d}\n"
        f":31D: DATE AND PLACE OF EXPIRY: {pi_at + timedelta(days=80):%y%m%d} CHINA\n"
        ":46A: DELETE INSPECTION CERTIFICATE ISSUED BY SGS DUBAI, INSERT INSPECTION CERTIFICATE ISSUED BY "
        "THE MANUFACTURER\n:47A: DELETE THIRD PARTY DOCUMENTS NOT ACCEPTABLE\n"
        f"\nPlease start production.\n\nRegards,\n{customer.name}"
    )
    issued = theirs(amend.date, 1500, 4000, "", mt707, amend, "lc")
    if issued is None:
        return items
    discrepancy = (
        f"{customer.greeting},\n\nThe goods were shipped and we presented the documents under L/C {f['lc']}. "
        "The negotiating bank reports two discrepancies:\n\n1. Packing list presented in 2 copies, 46A asks "
        "for 3.\n2. The insurance reference on the invoice is not required by the L/C (no discrepancy under "
        "UCP 600 art. 14(d), but the bank lists it).\n\nThe issuing bank will contact you to accept the "
        "discrepancies. Please instruct them to accept so that payment is not delayed; we apologise for "
        f"the packing list.\n\nBest regards,\n{f['sign']}"
    )
    notice = ours(issued.date, 8 * 1440, 11 * 1440, f"Discrepancy under L/C {f['lc']} - please accept",
                  discrepancy, issued, "lc")  # fmt: skip
    if notice is None:
        return items
    items[-1].flagged = True
    theirs(notice.date, 600, 2000, "", f"Dear {customer.owner.display.split()[0]},\n\nWe have instructed the "
           f"issuing bank to accept the discrepancies and pay at sight (discrepancy fee USD 80.00 for your "
           f"account as per 47A).\n\nRegards,\n{customer.name}", notice, "lc")  # fmt: skip
    return items
