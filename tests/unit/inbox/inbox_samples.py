"""Machine-sent and person-sent messages, written by hand in the shapes their senders are documented or
seen to use. Each sample names its source. Our own outgoing message in them has the Message-ID
``OUR_ID`` and the conversation token ``OUR_TOKEN`` (made with ``TOKEN_KEY`` for conversation "c42").
"""

from __future__ import annotations

import textwrap

from mailwarden.inbox.tokens import make_token

TOKEN_KEY = b"k" * 32
OUR_TOKEN = make_token("c42", TOKEN_KEY)
OUR_ID = f"conv-{OUR_TOKEN}.q7x2m9@mail.example-exporter.cn"


def eml(text: str, charset: str = "utf-8") -> bytes:
    """The message ``text`` (indented freely in the source) with CRLF line ends, encoded in ``charset``."""
    body = textwrap.dedent(text).lstrip("\n")
    return body.replace("\n", "\r\n").encode(charset)


# Our outgoing reply's headers, as the DSNs below return them.
_OUR_HEADERS = f"""\
    From: Sales <sales@example-exporter.cn>
    To: buyer@example.de
    Subject: Re: LED panel quotation
    Date: Thu, 26 Nov 2026 09:12:00 +0800
    Message-ID: <{OUR_ID}>
    X-Mailwarden-Conversation: {OUR_TOKEN}
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
"""

# RFC 3464 appendix A's shape (multipart/report; report-type=delivery-status, a per-message block, one
# per-recipient block), as Postfix sends it, returning the whole original as message/rfc822.
RFC3464_BOUNCE = eml(
    f"""\
    Return-Path: <>
    From: MAILER-DAEMON@mx.example-exporter.cn (Mail Delivery System)
    To: sales@example-exporter.cn
    Subject: Undelivered Mail Returned to Sender
    Date: Thu, 26 Nov 2026 09:12:05 +0800
    Message-ID: <20261126011205.AB12C3@mx.example-exporter.cn>
    Auto-Submitted: auto-replied
    MIME-Version: 1.0
    Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

    --B1
    Content-Description: Notification
    Content-Type: text/plain; charset=us-ascii

    This is the mail system at host mx.example-exporter.cn.

    I'm sorry to have to inform you that your message could not
    be delivered to one or more recipients.

    <buyer@example.de>: host mx.example.de[192.0.2.10] said: 550 5.1.1
        <buyer@example.de>: Recipient address rejected: User unknown

    --B1
    Content-Description: Delivery report
    Content-Type: message/delivery-status

    Reporting-MTA: dns; mx.example-exporter.cn
    X-Postfix-Queue-ID: AB12C3
    Arrival-Date: Thu, 26 Nov 2026 09:12:01 +0800

    Final-Recipient: rfc822; buyer@example.de
    Original-Recipient: rfc822;buyer@example.de
    Action: failed
    Status: 5.1.1
    Remote-MTA: dns; mx.example.de
    Diagnostic-Code: smtp; 550 5.1.1 <buyer@example.de>: Recipient address
        rejected: User unknown

    --B1
    Content-Description: Undelivered Message
    Content-Type: message/rfc822

    {textwrap.indent(textwrap.dedent(_OUR_HEADERS), "    ").strip()}

    Dear buyer, please find our quotation attached.

    --B1--
    """
)

# RFC 3462 text/rfc822-headers instead of the whole message (Postfix with bounce_size_limit, Exchange),
# and a delayed (not failed) recipient: RFC 3464 section 2.3.3 "Action: delayed", status 4.4.7.
HEADERS_ONLY_DELAY = eml(
    f"""\
    Return-Path: <>
    From: Mail Delivery System <MAILER-DAEMON@mx.example-exporter.cn>
    To: sales@example-exporter.cn
    Subject: Delayed Mail (still being retried)
    Message-ID: <20261126091300.CD34@mx.example-exporter.cn>
    MIME-Version: 1.0
    Content-Type: multipart/report; report-type=delivery-status; boundary="B2"

    --B2
    Content-Type: text/plain

    Your message has not been delivered yet. It will be retried.

    --B2
    Content-Type: message/delivery-status

    Reporting-MTA: dns; mx.example-exporter.cn

    Final-Recipient: rfc822; buyer@example.de
    Action: delayed
    Status: 4.4.7
    Diagnostic-Code: X-Postfix; connect to mx.example.de[192.0.2.10]:25: Connection timed out

    --B2
    Content-Type: text/rfc822-headers

    {textwrap.indent(textwrap.dedent(_OUR_HEADERS), "    ").strip()}
    --B2--
    """
)

# qmail-send's text bounce (qmail-1.03 qmail-send.c: "Hi. This is the qmail-send program at", the
# "<addr>:" paragraph, "--- Below this line is a copy of the message."), as Sisimai's qmail decoder
# (sisimai/go-sisimai lhost/via-qmail.go) quotes it.
QMAIL_BOUNCE = eml(
    f"""\
    Return-Path: <>
    From: MAILER-DAEMON@mail.example.es
    To: sales@example-exporter.cn
    Subject: failure notice
    Date: 26 Nov 2026 01:13:00 -0000
    Message-ID: <20261126011300.12345.qmail@mail.example.es>

    Hi. This is the qmail-send program at mail.example.es.
    I'm afraid I wasn't able to deliver your message to the following addresses.
    This is a permanent error; I've given up. Sorry it didn't work out.

    <compras@example.es>:
    192.0.2.20 does not like recipient.
    Remote host said: 550 5.1.1 <compras@example.es>... User Unknown
    Giving up on 192.0.2.20.

    --- Below this line is a copy of the message.

    Return-Path: <sales@example-exporter.cn>
    Received: (qmail 12340 invoked from network); 26 Nov 2026 01:12:59 -0000
    {textwrap.indent(textwrap.dedent(_OUR_HEADERS), "    ").strip()}

    Estimado cliente, adjuntamos la cotización.
    """
)

# Exim's text bounce (deliver.c: "This message was created automatically by mail delivery software.",
# the indented failed address, "------ This is a copy of the message, including all the headers. ------",
# and the X-Failed-Recipients header), as Sisimai's Exim decoder (lhost/via-exim.go) quotes it.
EXIM_BOUNCE = eml(
    f"""\
    Return-path: <>
    From: Mail Delivery System <Mailer-Daemon@mx.example.co.uk>
    To: sales@example-exporter.cn
    Subject: Mail delivery failed: returning message to sender
    Message-Id: <E1vXyZa-0003AD-Ga@mx.example.co.uk>
    X-Failed-Recipients: purchasing@example.co.uk
    Auto-Submitted: auto-replied
    Date: Thu, 26 Nov 2026 01:14:00 +0000

    This message was created automatically by mail delivery software.

    A message that you sent could not be delivered to one or more of its
    recipients. This is a permanent error. The following address(es) failed:

      purchasing@example.co.uk
        SMTP error from remote mail server after RCPT TO:<purchasing@example.co.uk>:
        host mx2.example.co.uk [192.0.2.30]: 550 5.1.1 <purchasing@example.co.uk>... User unknown

    ------ This is a copy of the message, including all the headers. ------

    Return-path: <sales@example-exporter.cn>
    {textwrap.indent(textwrap.dedent(_OUR_HEADERS), "    ").strip()}

    Dear purchasing team, our quotation is attached.
    """
)

# QQ Mail's bounce ("[Qmail] 来自qq.com的退信", From "PostMaster" <PostMaster@qq.com>, an HTML table:
# 很抱歉您发送的邮件被退回 / 被退回邮件 / 主 题 / 时 间 / 无法发送到 / 退信原因 / 解决方案), as
# reconstructed in a public project's regression test of its QQ bounce parser. No Message-ID of the
# original: only its subject and time.
QQ_BOUNCE = eml(
    """\
    From: "PostMaster" <PostMaster@qq.com>
    To: 12345678@qq.com
    Subject: [Qmail] 来自qq.com的退信
    Date: Thu, 26 Nov 2026 14:31:34 +0800
    Message-ID: <tencent_0123456789ABCDEF@qq.com>
    MIME-Version: 1.0
    Content-Type: multipart/report; boundary="Q1"

    --Q1
    Content-Type: text/html; charset=utf-8

    <html><body>
    <p>很抱歉您发送的邮件被退回，以下是该邮件的相关信息：</p>
    <table><tr><td>被退回邮件</td>
    <td>主 题：LED panel quotation <br/>时 间：2026-11-26 14:31:25 </td></tr></table>
    <table><tr><td colspan="2">无法发送到 buyer@example.com.au</td></tr>
    <tr><td>退信原因</td><td> 未知原因 <br /> host mx.example.com.au[192.0.2.40]
    said: 550 5.7.515 Access denied, sending domain QQ.COM does not meet the required
    authentication level. </td></tr>
    <tr><td>解决方案</td><td> 请联系您的收件人 </td></tr></table>
    </body></html>
    --Q1--
    """
)

# NetEase 163 (Coremail) "系统退信": From Postmaster@163.com, Message-ID <...@163smtp10>, a GB2312 HTML page
# "抱歉，您的邮件被退回来了……" with 原邮件信息 (时　间 / 主　题 / 收件人, full-width spaces) and 退信原因,
# as kept in a public project's demo mail table (smeoa's think_mail rows 1020 and 1021).
NETEASE_BOUNCE = eml(
    """\
    From: Postmaster <Postmaster@163.com>
    To: trader2026@163.com
    Subject: =?gb2312?B?z7XNs83L0MU=?=
    Date: Thu, 26 Nov 2026 14:29:10 +0800
    Message-ID: <5167AD70.AC0F83.19561@163smtp10>
    MIME-Version: 1.0
    Content-Type: text/html; charset=gb2312

    <html><body class="Bdy">
    <h1>抱歉，您的邮件被退回来了……</h1>
    <table class="Tb_mWp">
    <tr class="tr_Mi"><th nowrap>原邮件信息：</th><td><table class="Tb_miWp">
    <tr><th nowrap>时　间：</th><td>2026-11-26 14:29:05</td></tr>
    <tr><th nowrap>主　题：</th><td>Re: Inquiry for LED panels</td></tr>
    <tr><th nowrap>收件人：</th><td>buyer@example.fr</td></tr>
    </table></td></tr>
    <tr class="tr_Rz"><th nowrap>退信原因：</th><td>
    <div class="infoTt">邮差小易抱歉地通知您，不知道是什么原因，对方退信了。</div>
    <div class="infoDcr">英文说明:rcpt handle timeout.</div></td></tr>
    <tr class="tr_Sr"><th nowrap>建议解决方案：</th><td>建议您联系对方的管理员。</td></tr>
    </table>
    <span>This message is generated by Coremail.</span>
    </body></html>
    """,
    charset="gb18030",
)

# RFC 8098 section 9 (example): a read receipt, multipart/report; report-type=disposition-notification.
READ_RECEIPT = eml(
    f"""\
    From: Buyer <buyer@example.de>
    To: sales@example-exporter.cn
    Subject: Read: Re: LED panel quotation
    Date: Thu, 26 Nov 2026 10:00:00 +0100
    Message-ID: <mdn-199509192301.23456@example.de>
    MIME-Version: 1.0
    Content-Type: multipart/report; report-type=disposition-notification; boundary="M1"

    --M1
    Content-Type: text/plain

    The message sent on 2026-11-26 to buyer@example.de with subject "Re: LED panel quotation"
    has been displayed.

    --M1
    Content-Type: message/disposition-notification

    Reporting-UA: example.de; Mail Client 1.0
    Original-Recipient: rfc822;buyer@example.de
    Final-Recipient: rfc822;buyer@example.de
    Original-Message-ID: <{OUR_ID}>
    Disposition: manual-action/MDN-sent-manually; displayed

    --M1--
    """
)

# Exchange Online out-of-office reply: "Automatic reply:" subject, Auto-Submitted: auto-generated,
# X-Auto-Response-Suppress: All, X-MS-Exchange-Inbox-Rules-Loop, null envelope sender (Microsoft's
# [MS-OXCMAIL] section 2.2.3.2.14 documents X-Auto-Response-Suppress; the rest as Exchange sends it).
EXCHANGE_OOF = eml(
    f"""\
    Return-Path: <>
    From: Hans Weber <h.weber@example.de>
    To: Sales <sales@example-exporter.cn>
    Subject: Automatic reply: Re: LED panel quotation
    Date: Thu, 26 Nov 2026 02:12:10 +0000
    Message-ID: <AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com>
    In-Reply-To: <{OUR_ID}>
    Auto-Submitted: auto-generated
    X-Auto-Response-Suppress: All
    X-MS-Exchange-Inbox-Rules-Loop: h.weber@example.de
    Content-Type: text/plain; charset=utf-8

    I am out of the office until 1 December with limited access to email.
    """
)

# An older Outlook/Exchange (2007) out-of-office in Chinese: no Auto-Submitted, only the subject
# "自动回复:" and X-Auto-Response-Suppress. The subject confirms the header signal.
OUTLOOK_OOF_ZH = eml(
    """\
    From: =?utf-8?B?5byg5LiJ?= <zhang@example.com.cn>
    To: sales@example-exporter.cn
    Subject: =?utf-8?B?6Ieq5Yqo5Zue5aSNOiDor6Lku7c=?=
    Date: Thu, 26 Nov 2026 10:12:10 +0800
    Message-ID: <oof-1@example.com.cn>
    X-Auto-Response-Suppress: All
    Content-Type: text/plain; charset=utf-8

    我在休假，12月1日回来。
    """
)

# Gmail's vacation responder: Auto-Submitted: auto-replied (RFC 3834), the subject the user chose.
GMAIL_VACATION = eml(
    """\
    From: Maria Rossi <maria.rossi@gmail.com>
    To: sales@example-exporter.cn
    Subject: On holiday
    Date: Thu, 26 Nov 2026 03:00:00 +0100
    Message-ID: <CAFvac123@mail.gmail.com>
    Auto-Submitted: auto-replied
    Content-Type: text/plain; charset=UTF-8

    I am on holiday until Monday.
    """
)

# A person's reply whose subject *looks* like an out-of-office: no header signal, so a person.
PERSON_QUOTING_OOF_SUBJECT = eml(
    """\
    From: Hans Weber <h.weber@example.de>
    To: sales@example-exporter.cn
    Subject: RE: Automatic reply: order 4711
    Date: Thu, 26 Nov 2026 10:00:00 +0100
    Message-ID: <person-1@example.de>
    Content-Type: text/plain; charset=utf-8

    Sorry, that was my out-of-office. Please ship order 4711 by sea.
    """
)
PERSON_OOF_WORDING_SUBJECT = eml(
    """\
    From: Hans Weber <h.weber@example.de>
    To: sales@example-exporter.cn
    Subject: Automatic reply: not really
    Message-ID: <person-2@example.de>
    Content-Type: text/plain; charset=utf-8

    I typed this subject myself.
    """
)

# A discussion list (Mailman 3: List-Id, List-Post, List-Unsubscribe, Precedence: list).
MAILING_LIST = eml(
    """\
    From: Someone <someone@example.org>
    To: led-makers@lists.example.org
    Subject: [led-makers] Driver ICs
    Message-ID: <list-1@example.org>
    List-Id: LED makers <led-makers.lists.example.org>
    List-Post: <mailto:led-makers@lists.example.org>
    List-Unsubscribe: <mailto:led-makers-leave@lists.example.org>
    Precedence: list
    Content-Type: text/plain

    Which driver ICs do you use?
    """
)

# A newsletter from an ESP: List-Unsubscribe with RFC 8058 one-click, Gmail's Feedback-ID.
NEWSLETTER = eml(
    """\
    From: Trade Fair News <news@example-fair.com>
    To: sales@example-exporter.cn
    Subject: Canton Fair: 10 days left
    Message-ID: <nl-1@mail.example-fair.com>
    List-Unsubscribe: <https://example-fair.com/u/abc>, <mailto:u-abc@example-fair.com>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click
    Feedback-ID: 123:campaign42:esp
    Content-Type: text/plain

    Book your booth now.
    """
)

# A customer's mail that reaches sales@ through the team's own Google Group: it carries the group's
# List-Id (and Precedence: list) but is a person's inquiry.
VIA_OWN_GROUP = eml(
    """\
    From: Buyer <buyer@example.de>
    To: sales@example-exporter.cn
    Subject: Inquiry
    Message-ID: <inq-1@example.de>
    List-Id: <sales.example-exporter.cn>
    Precedence: list
    Content-Type: text/plain

    Please quote 500 pcs.
    """
)

PERSON = eml(
    """\
    From: Buyer <buyer@example.de>
    To: sales@example-exporter.cn
    Subject: Inquiry for LED panels
    Message-ID: <inq-2@example.de>
    Content-Type: text/plain

    Please quote 500 pcs of HX-200.
    """
)

# A customer forwarding a bounce they got: bounce words, but a person sent it.
PERSON_FORWARDING_BOUNCE = eml(
    """\
    From: Buyer <buyer@example.de>
    To: sales@example-exporter.cn
    Subject: Fwd: Mail delivery failed: returning message to sender
    Message-ID: <fwd-1@example.de>
    Content-Type: text/plain

    Your colleague's address bounces, see below.

    This message was created automatically by mail delivery software.
    """
)

# A null envelope sender and nothing else: a machine notification (RFC 5321 section 4.5.5).
NULL_SENDER_ONLY = eml(
    """\
    Return-Path: <>
    From: robot@example.net
    To: sales@example-exporter.cn
    Subject: Your parcel
    Message-ID: <n-1@example.net>
    Content-Type: text/plain

    Parcel 123 delivered.
    """
)

# sendmail's text bounce (savemail.c: "----- The following addresses had permanent fatal errors -----",
# "----- Transcript of session follows -----", "----- Original message follows -----", each indented by
# three spaces; Subject "Returned mail: see transcript for details"), as Sisimai's sendmail decoder
# (lhost/via-sendmail.go) quotes it.
SENDMAIL_BOUNCE = eml(
    f"""\
    Return-Path: <>
    From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com.br>
    To: <sales@example-exporter.cn>
    Subject: Returned mail: see transcript for details
    Message-Id: <202611260115.4AQ1F0x1@mx.example.com.br>
    Auto-Submitted: auto-generated (failure)

    The original message was received at Thu, 26 Nov 2026 01:15:00 GMT
    from [192.0.2.50]

       ----- The following addresses had permanent fatal errors -----
    <compras@example.com.br>
        (reason: 550 5.1.1 <compras@example.com.br>... User unknown)

       ----- Transcript of session follows -----
    ... while talking to mail.example.com.br.:
    >>> DATA
    <<< 550 5.1.1 <compras@example.com.br>... User unknown
    550 5.1.1 <compras@example.com.br>... User unknown

       ----- Original message follows -----

    {textwrap.indent(textwrap.dedent(_OUR_HEADERS), "    ").strip()}

    Prezado cliente, segue a cotação.
    """
)
