"""Sentence banks of the benchmark corpus: the vocabulary of an export business's shared mailbox.

Kept apart from :mod:`corpus` so that the generator stays readable. Every ``ZH`` sentence encodes in
GB2312, ``ZH_GBK`` needs GBK (characters outside GB2312), ``ZH_TW`` encodes in Big5: a message is only
labelled with a legacy charset its text really fits (``corpus`` falls back to UTF-8 otherwise).
Placeholders: {product} {qty} {price} {pi} {lc} {port} {partner}.
"""

from __future__ import annotations

import random

EN: tuple[str, ...] = (
    "Thank you for your inquiry; please find our best offer for {qty} pcs of {product} below.",
    "Price basis FOB Ningbo, USD {price} per unit, MOQ {qty} pcs, validity 7 days.",
    "Kindly confirm the Proforma Invoice No. PI-{pi} so that we can arrange mass production.",
    "Payment terms: 30% T/T in advance, balance against copy of B/L, or irrevocable L/C at sight.",
    "The L/C should reach us no later than 15 days before shipment; partial shipments allowed.",
    "CIF {port} including ocean freight and insurance at 110% of invoice value (ICC clause A).",
    "Please amend L/C {lc}: field 44C latest date of shipment to be extended by 20 days.",
    "Documents required: commercial invoice in triplicate, full set of clean on board B/L, packing list.",
    "Samples were sent by DHL this morning; the AWB number will follow in a separate mail.",
    "Due to the rising cost of raw materials we have to adjust the price of {product} by 3%.",
    "The goods have been loaded on board today; ETD Ningbo next Monday, ETA {port} in 28 days.",
    "Could you advise the HS code and the certificate of origin (Form A or Form E) you need?",
    "Our factory is ISO 9001 certified; third-party inspection by SGS is acceptable to us.",
    "We are interested in {product}; please quote your best CIF {port} price for {qty} pcs.",
    "Attached is the revised packing list; gross weight and CBM per carton are now correct.",
    "{partner} has accepted the discrepancy, the issuing bank will release payment this week.",
)
ZH: tuple[str, ...] = (
    "您好，感谢您的询盘，附件是我们最新的报价单，请查收。",
    "我司可按FOB宁波报价，单价{price}美元，交货期为收到定金后30天。",
    "请确认形式发票PI-{pi}上的数量{qty}件和单价，以便我们安排生产。",
    "付款方式：30%电汇定金，余款见提单副本付清，或即期不可撤销信用证。",
    "信用证{lc}请在装运前15天开到，议付行为中国银行宁波分行。",
    "CIF{port}价格已包含海运费和保险费，保险按发票金额的110%投保一切险。",
    "样品已通过顺丰快递寄出，运单号请见下方，请注意查收。",
    "由于原材料价格上涨，{product}的报价有效期为七天。",
    "我们的工厂通过了ISO9001认证，可以提供原产地证和商检证书。",
    "请告知贵司的目的港以及每月的预计采购量，我们好核算运费。",
    "货物已于今日装船，提单和装箱单随后发送，请安排赎单。",
    "关于信用证第46A条单据要求，我们有以下几点修改意见，请与开证行沟通。",
    "{partner}的询盘已转给业务员跟进，报价会在明天下班前发出。",
    "财务已收到定金，订单已排产，预计下月中旬出货。",
)
ZH_GBK: tuple[str, ...] = (  # characters outside GB2312 (喆, 堃, 祎, 犇): GBK only
    "联系人：王喆，电话同微信。",
    "此单由李堃负责跟单，如有问题请直接联系。",
    "请将样品寄给张祎，地址见签名。",
    "犇达物流已订舱，柜号稍后提供。",
)
ZH_TW: tuple[str, ...] = (
    "您好，感謝您的詢盤，附件是我們最新的報價單，請查收。",
    "本公司可按FOB基隆報價，單價{price}美元，交貨期為收到訂金後三十天。",
    "請確認形式發票PI-{pi}上的數量與單價。",
    "付款方式：即期信用證，信用證{lc}請於裝運前十五天開到。",
    "貨物已於今日裝船，提單與裝箱單隨後寄出。",
    "樣品已用快遞寄出，請注意查收。",
    "CIF{port}報價已含海運費及保險費。",
)
_SUBJECTS: dict[str, tuple[str, ...]] = {
    "en": (
        "Inquiry: {product} {qty} pcs",
        "RE: Quotation for {product} FOB Ningbo",
        "Proforma Invoice PI-{pi}",
        "L/C draft {lc} - please check",
        "CIF {port} shipment schedule",
        "Fw: Packing list and B/L copy",
        "Canton Fair invitation - booth 12.1 C33",
    ),
    "zh": (
        "询盘：{product} {qty}件",
        "回复：报价单 {product}",
        "形式发票 PI-{pi} 请确认",
        "信用证 {lc} 修改意见",
        "装箱单及提单副本",
    ),
    "mix": (
        "询盘 Inquiry: {product}",
        "RE: 报价 Quotation {product} FOB Ningbo",
        "Proforma Invoice 形式发票 PI-{pi}",
        "信用证修改 L/C amendment {lc}",
        "CIF {port} 船期 shipment schedule",
    ),
    "tw": ("詢盤：{product}", "報價單 PI-{pi}", "信用證 {lc} 修改"),
}
_SUBJECTS["gbk"] = _SUBJECTS["zh"]


def fill(template: str, ctx: dict[str, str]) -> str:
    return template.format_map(ctx)


def subject_for(rng: random.Random, lang: str, ctx: dict[str, str]) -> str:
    subject = fill(rng.choice(_SUBJECTS[lang]), ctx)
    return rng.choice(("", "", "RE: ", "回复：" if lang != "en" else "Fw: ")) + subject
