"""``mailwarden inbox ingest|list|show`` against the lab: mail delivered to sales@ by LMTP, archived by the
real ``archive sync``, placed in conversations by the real ``inbox ingest``."""

from __future__ import annotations

from datetime import timedelta

from cli_runner import CLI, add
from inbox_archive import START, mail
from lab.dovecot import Dovecot, MailUser
from recovery_lab import imap


def _deliver_the_week(dovecot: Dovecot, sales: MailUser) -> None:
    """GIVEN a new inquiry, our answer (saved in Sent by a mail client), the customer's reply in that
    thread, an out-of-office reply, and an inquiry from a company never seen before."""
    dovecot.deliver(sales.address, mail("LED panels for 40 shops", message_id="q1@weber-gmbh.de"))
    dovecot.create_folder(sales.address, "Sent")
    answer = mail(
        "Re: LED panels for 40 shops", sender=f"Sales <{sales.address}>", to="anna@weber-gmbh.de",
        message_id=f"r1@{sales.address.split('@')[1]}", in_reply_to="q1@weber-gmbh.de",
        at=START + timedelta(hours=1), body="Our quotation is attached.\n",
    )  # fmt: skip
    client = imap(dovecot, sales)
    try:
        typ, data = client.append("Sent", "(\\Seen)", None, answer)
        assert typ == "OK", data
    finally:
        client.logout()
    dovecot.deliver(
        sales.address,
        mail("Re: Re: LED panels for 40 shops", message_id="q2@weber-gmbh.de",
             in_reply_to=f"r1@{sales.address.split('@')[1]}", at=START + timedelta(hours=2),
             body="Thank you. Can you do 1,000 pieces?\n"),
    )  # fmt: skip
    dovecot.deliver(
        sales.address,
        mail("Automatic reply: LED panels", sender="Hans <hans@weber-gmbh.de>", message_id="oof@weber",
             at=START + timedelta(hours=3), headers={"Auto-Submitted": "auto-replied"},
             body="I am out of the office until Monday.\n"),
    )  # fmt: skip
    dovecot.deliver(
        sales.address,
        mail("Demande de prix", sender="Claire Martin <claire@lumiere-sarl.fr>", message_id="f1@lumiere",
             at=START + timedelta(hours=4),
             body="Bonjour,\n\npourriez-vous nous envoyer vos prix pour les panneaux LED ?\n\n"
                  "Cordialement\nClaire Martin\n"),
    )  # fmt: skip


def test_delivered_mail_becomes_conversations(ready_cli: CLI, dovecot: Dovecot, mail_user: MailUser) -> None:
    _deliver_the_week(dovecot, mail_user)
    add(ready_cli, dovecot, mail_user)
    synced = ready_cli("archive", "sync", "--no-index", "--json")
    assert synced.code == 0, synced.output

    ingested = ready_cli("inbox", "ingest", "--json")
    assert ingested.code == 0, ingested.output
    assert (ingested.json["read"], ingested.json["outcomes"]) == (
        5,
        {"opened": 2, "attached": 2, "noise": 1},
    )

    listed = ready_cli("inbox", "list", "--json")
    assert listed.code == 0, listed.output
    by_subject = {c["subject"]: c for c in listed.json["conversations"]}
    assert listed.json["total"] == 2
    weber, lumiere = by_subject["LED panels for 40 shops"], by_subject["Demande de prix"]
    assert (weber["status"], weber["messages"], weber["contact"], weber["company"]) == (
        "open",  # the customer wrote last
        3,
        "Anna Weber",
        "weber-gmbh.de",
    )
    assert (lumiere["status"], lumiere["contact"], lumiere["company"]) == (
        "open",
        "Claire Martin",
        "lumiere-sarl.fr",
    )

    shown = ready_cli("inbox", "show", str(weber["id"]), "--json")
    assert shown.code == 0, shown.output
    conversation = shown.json["conversation"]
    messages = conversation["messages"]
    assert [m["direction"] for m in messages] == ["in", "out", "in"]
    # sync may archive Sent before INBOX: then our answer opened the conversation and the question joined it
    assert [m["threaded_by"] for m in messages[:2]] in (["new", "in_reply_to"], ["answered_first", "new"])
    assert messages[2]["threaded_by"] == "in_reply_to"
    assert conversation["company"]["country"] == "DE" and conversation["language"] == "en"
    # the SLA (the customer wrote again after our answer: the next-response clock waits on us), the timeline
    last = shown.json["sla"]["cycles"][-1]
    assert (last["clock"], last["outcome"] in ("running", "paused", "breached")) == ("next_response", True)
    assert shown.json["timeline"][0]["kind"] == "created"
    french_shown = ready_cli("inbox", "show", str(lumiere["id"]), "--json")
    french = french_shown.json["conversation"]
    assert (french["language"], french["company"]["country"]) == ("fr", "FR")
    assert french_shown.json["sla"]["cycles"][0]["outcome"] in ("running", "breached")  # waiting on us
    plain = ready_cli("inbox", "show", str(lumiere["id"]), "--lang", "zh-CN")
    assert plain.code == 0 and "SLA — 首次响应" in plain.stdout and "created" in plain.stdout

    again = ready_cli("inbox", "ingest", "--json")
    assert (again.json["read"], again.json["outcomes"]) == (0, {})
    from_start = ready_cli("inbox", "ingest", "--from-start", "--json")
    assert (from_start.json["read"], from_start.json["outcomes"]) == (5, {"already": 5})
    assert ready_cli("inbox", "list", "--json").json["total"] == 2


def test_list_and_show_speak_chinese_and_refuse_what_does_not_exist(ready_cli: CLI) -> None:
    empty = ready_cli("inbox", "list", "--lang", "zh-CN")
    assert (empty.code, empty.stdout.strip()) == (0, "没有会话。")
    missing = ready_cli("inbox", "show", "4711", "--json")
    assert missing.code == 2 and missing.json["error"]["kind"] == "not_found_error"
    wrong = ready_cli("inbox", "list", "--status", "waiting", "--lang", "zh-CN")
    assert wrong.code == 2 and "不是会话状态" in wrong.stderr
    unknown = ready_cli("inbox", "list", "--mailbox", "nope")
    assert unknown.code == 2 and "nope" in unknown.stderr
