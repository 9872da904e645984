"""English phrase banks of the demo corpus: what buyers ask and what the sales team answers.

Each entry is a ``str.format`` template; the fields are filled by :mod:`.corpus_threads` (``greeting``,
``name``, ``company``, ``product``, ``model``, ``qty``, ``unit``, ``price``, ``total``, ``lead``, ``qno``,
``port``, ``sign``, ...). The wording follows what such mail really says, short lines and all, because
the demo's search, language detection and noise filters are shown on it.
"""

from __future__ import annotations

from mailwarden.demo.corpus_model import DemoAgent

__all__ = [
    "ANSWERS",
    "CLOSINGS",
    "FOLLOW_UP_OURS",
    "FOLLOW_UP_THEIRS",
    "INQUIRIES",
    "QUESTIONS",
    "QUOTATION",
    "signature",
]

INQUIRIES: tuple[tuple[str, str], ...] = (
    (
        "Inquiry: {product}",
        "Dear Sir or Madam,\n\nWe are {company}, a distributor of pumps and irrigation equipment. We found "
        "your company in the Canton Fair online catalogue and are interested in your {product}.\n\n"
        "Please quote your best price for {qty} {unit}, CIF {port}, and let us know:\n- MOQ\n- lead time\n"
        "- payment terms\n- whether the product has CE certification\n\nBest regards,\n{name}\n{company}",
    ),
    (
        "Request for quotation - {model}",
        "Hello,\n\nCould you please send us your quotation for the following item:\n\n"
        "  Model: {model}\n  Description: {product}\n  Quantity: {qty} {unit}\n  Delivery: CIF {port}\n\n"
        "Please include packing details (carton size and gross weight) and the warranty period.\n\n"
        "Thanks and regards,\n{name}\nPurchasing, {company}",
    ),
    (
        "RFQ {qty} {unit} {model}",
        "Hi,\n\nwe need {qty} {unit} of {product} for a project starting next quarter. What is your price "
        "and how fast can you ship? We prefer FOB Ningbo, our forwarder will pick up.\n\n{name}\n{company}",
    ),
    (
        "Price inquiry {product} / {company}",
        "Dear Sales Team,\n\nI am the purchasing manager of {company}. We currently buy {product} from "
        "another supplier in Zhejiang and are looking for a second source.\n\nOur yearly volume is about "
        "{qty2} {unit}; a first trial order would be {qty} {unit}. Kindly send your price list and "
        "catalogue.\n\nKind regards,\n{name}",
    ),
    (
        "Looking for a supplier of {product}",
        "Good day,\n\nWe are looking for a reliable manufacturer of {product} ({model} or equivalent). "
        "Please advise price for {qty} {unit}, delivery time and whether OEM with our brand is possible.\n\n"
        "Regards,\n{name}\n{company}",
    ),
    (
        "Enquiry re {product} - urgent",
        "Dear Sir,\n\nOne of our customers has an urgent tender and needs {qty} {unit} of {product}. "
        "The tender closes in ten days, so we would be grateful for your offer (CIF {port}) by return.\n\n"
        "Many thanks,\n{name}\n{company}",
    ),
)

QUOTATION = (
    "Quotation {qno} - {product}",
    "{greeting},\n\nThank you for your inquiry. We are pleased to quote as follows:\n\n"
    "  Item:        {product} (model {model})\n  Quantity:    {qty} {unit}\n"
    "  Unit price:  USD {price} FOB Ningbo\n  Total:       USD {total}\n"
    "  Lead time:   {lead} days after receipt of deposit\n"
    "  Payment:     30% T/T deposit, 70% balance against copy of B/L\n  Validity:    30 days\n\n"
    "{attached}Please do not hesitate to contact me if you have any questions.\n\nBest regards,\n{sign}",
)

#: (question from the buyer, our answer), paired by index
QUESTIONS: tuple[str, ...] = (
    "{greeting_back},\n\nThank you for the quick quotation. The price is higher than what we pay today. "
    "Could you offer {discount}% off if we order {qty2} {unit}?\n\nRegards,\n{name}",
    "{greeting_back},\n\nthanks. Before we order we would like to test one sample. Can you send it by "
    "courier? We can pay the sample cost.\n\nBest,\n{name}",
    "{greeting_back},\n\nWhat is the warranty period, and do you keep spare parts (mechanical seals, "
    "impellers) in stock?\n\nRegards,\n{name}",
    "{greeting_back},\n\nCan you confirm the lead time? We need the goods in {port} before the end of "
    "next month.\n\nThanks,\n{name}",
    "{greeting_back},\n\nIs it possible to print our logo on the pump label and on the carton? What is the "
    "MOQ for OEM?\n\nKind regards,\n{name}",
)
ANSWERS: tuple[str, ...] = (
    "{greeting},\n\nFor {qty2} {unit} we can offer USD {price2} per unit, which is our best price at "
    "today's steel cost. The other terms remain as in our quotation {qno}.\n\nBest regards,\n{sign}",
    "{greeting},\n\nSure. We can send one sample by DHL within 3 days; sample cost USD {price} plus "
    "courier, refunded with your first order. Please confirm your delivery address and phone "
    "number.\n\nBest regards,\n{sign}",
    "{greeting},\n\nThe warranty is 18 months from the B/L date. We keep seals and impellers for all "
    "current models in stock and add 1% free spare parts to every order.\n\nBest regards,\n{sign}",
    "{greeting},\n\nConfirmed: {lead} days after the deposit, then about 30 days at sea to {port}. If you "
    "place the order this week, the goods can arrive in time.\n\nBest regards,\n{sign}",
    "{greeting},\n\nYes, OEM is possible from {moq} {unit}: your logo on the nameplate and a printed "
    "carton. Please send your logo as AI or PDF file.\n\nBest regards,\n{sign}",
)

#: the buyer's last word in a thread: 0 = thinking it over; 1 = asks for the proforma invoice
CLOSINGS: tuple[str, ...] = (
    "{greeting_back},\n\nThank you. We will discuss internally and come back to you next week.\n\n{name}",
    "{greeting_back},\n\nOK, that works for us. Please send the proforma invoice for {qty2} {unit}.\n\n"
    "Regards,\n{name}\n{company}",
)

FOLLOW_UP_OURS = (
    "{greeting},\n\nI hope you are well. I am following up on our quotation {qno} for {product} of "
    "{quoted_on}. Do you need any further information from us? The prices are valid until {valid}.\n\n"
    "Best regards,\n{sign}"
)
FOLLOW_UP_THEIRS = (
    "Hello,\n\nAny update on my inquiry below? We need to decide on the supplier this week.\n\n{name}"
)


def signature(agent: DemoAgent) -> str:
    """The block under every message an agent sends from ``sales@``."""
    return (
        f"{agent.display}\n{agent.title}\n"
        "Ningbo Hengda Industrial Co., Ltd. | 宁波恒达实业有限公司\n"
        "No. 88 Jinhai Road, Beilun, Ningbo 315800, China\n"
        f"Tel: {agent.phone} | sales@demo.test | https://www.demo.test"
    )
