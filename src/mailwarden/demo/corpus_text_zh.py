"""Chinese phrase banks of the demo corpus: domestic traders' 询价/询盘 in simplified Chinese, and the Big5
(traditional) letters of the Taiwan and Hong Kong buyers.

Fields as in :mod:`.corpus_text`, plus ``product_zh``/``product_tw``, ``unit_zh``, ``price_cny`` and
``total_cny`` (domestic buyers are quoted in RMB including 13% VAT). Every simplified template is kept
inside GB2312 and every traditional one inside Big5: the legacy-charset mails are encoded from them.
"""

from __future__ import annotations

from mailwarden.demo.corpus_model import DemoAgent

__all__ = [
    "ANSWERS_ZH",
    "BIG5_INQUIRY",
    "BIG5_QUESTION",
    "CLOSINGS_ZH",
    "FOLLOW_UP_OURS_ZH",
    "INQUIRIES_ZH",
    "QUESTIONS_ZH",
    "QUOTATION_TW",
    "QUOTATION_ZH",
    "signature_zh",
]

INQUIRIES_ZH: tuple[tuple[str, str], ...] = (
    (
        "询价：{product_zh} {model} {qty}{unit_zh}",
        "您好！\n\n我们是{company}，主要做中东和非洲市场的出口业务。现有客户需要{product_zh}（型号{model}）"
        "{qty}{unit_zh}，请报含税出厂价和交期，并告知起订量。\n\n如有产品目录和CE证书，请一并发来。\n\n"
        "谢谢！\n{name}\n{company}",
    ),
    (
        "询盘 - {product_zh}",
        "贵司好，\n\n在展会上拿到贵司的资料。我司有一个南美客户询{product_zh}，数量{qty}{unit_zh}，"
        "需要贴客户自己的牌子。麻烦报个价，付款方式可以商量。\n\n{name}\n{company}",
    ),
    (
        "关于{product_zh}的询价",
        "你好，\n\n请问{model}这个型号现在什么价格？我们要{qty}{unit_zh}，月底前要发货，能做吗？"
        "\n\n急，盼复。\n{name}",
    ),
    (
        "{product_zh}报价请求（{company}）",
        "张先生您好，\n\n我们之前买过贵司的水泵，质量不错。这次客户要{product_zh}{qty}{unit_zh}，"
        "请按上次的包装方式报价，含税含运费到{port}。\n\n谢谢！\n{name}",
    ),
)

QUOTATION_ZH = (
    "报价单 {qno}：{product_zh}",
    "{greeting}您好：\n\n感谢询价！报价如下：\n\n  产品：{product_zh}（型号{model}）\n"
    "  数量：{qty}{unit_zh}\n"
    "  单价：人民币{price_cny}元（含13%增值税，出厂价）\n  合计：人民币{total_cny}元\n"
    "  交期：收到订金后{lead}天\n  付款方式：30%订金，发货前付清余款\n  报价有效期：30天\n\n"
    "{attached}如有任何问题，请随时联系。\n\n{sign}",
)

QUESTIONS_ZH: tuple[str, ...] = (
    "{greeting_back}：\n\n价格比我们现在的供应商高一些，如果我们下{qty2}{unit_zh}，能优惠{discount}%吗？\n\n{name}",
    "{greeting_back}好，\n\n能不能先寄一个样品？运费我们出。\n\n{name}",
    "{greeting_back}：\n\n请问质保多久？配件（机封、叶轮）有没有现货？\n\n{name}",
)
ANSWERS_ZH: tuple[str, ...] = (
    "{greeting}您好：\n\n{qty2}{unit_zh}的话，单价可以做到人民币{price2_cny}元，这是按目前钢材价格能给的最低价了。"
    "其他条件同报价单{qno}。\n\n{sign}",
    "{greeting}您好：\n\n可以的，样品三天内顺丰寄出，样品费人民币{price_cny}元，下大货时退还。请把收件地址和电话发给我。"
    "\n\n{sign}",
    "{greeting}您好：\n\n质保期为发货后18个月。机封和叶轮常备现货，每批货另外免费赠送1%的易损件。\n\n{sign}",
)

CLOSINGS_ZH: tuple[str, ...] = (
    "{greeting_back}：\n\n好的，我们跟客户确认一下，下周回复您。\n\n{name}",
    "{greeting_back}：\n\n可以，按这个价格做{qty2}{unit_zh}。请发形式发票（PI）过来，我们安排付订金。\n\n{name}\n{company}",
)

FOLLOW_UP_OURS_ZH = (
    "{greeting}您好：\n\n{quoted_on}发给您的{product_zh}报价单{qno}，不知客户那边有没有反馈？报价有效期到{valid}，"
    "如需调整数量或包装，请随时告诉我。\n\n{sign}"
)

#: the Big5 letters: a Taiwan/Hong Kong buyer asks, is quoted (in UTF-8 by us), asks about the price
BIG5_INQUIRY = (
    "詢價：{product_tw} {qty}{unit_tw}",
    "您好：\n\n敝公司{company}為五金及水電器材進口商。請報{product_tw}（型號{model}）{qty}{unit_tw}之美金價格"
    "（FOB寧波），並請告知交貨期及付款條件。\n\n如有型錄，請一併寄來。\n\n謝謝！\n{name}\n{company}",
)
QUOTATION_TW = (
    "報價單 {qno}：{product_tw}",
    "{greeting}您好：\n\n感謝您的詢價，報價如下：\n\n  品名：{product_tw}（型號{model}）\n"
    "  數量：{qty}{unit_tw}\n"
    "  單價：美金{price}元（FOB寧波）\n  總價：美金{total}元\n  交貨期：收到訂金後{lead}天\n"
    "  付款條件：30%電匯訂金，餘款見提單副本付清\n\n如有任何問題，歡迎隨時聯絡。\n\n{sign}",
)
BIG5_QUESTION = (
    "{greeting_back}您好：\n\n謝謝報價。請問若數量增加到{qty2}{unit_tw}，單價可否再優惠？另外包裝是否可以改用"
    "中性紙箱？\n\n{name}"
)


def signature_zh(agent: DemoAgent) -> str:
    """The Chinese signature block (Zhang Bo and Alice Wang write to Chinese-speaking buyers)."""
    local = {"bo": "张波", "alice": "王丽"}.get(agent.name, agent.display)
    return (
        f"{local}（{agent.display}）\n宁波恒达实业有限公司 销售部\n地址：宁波市北仑区金海路88号\n"
        f"电话：{agent.phone}  邮箱：sales@demo.test"
    )
