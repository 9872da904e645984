"""``mailwarden inbox note|notes|tag|tags|canned|merge|split|contact`` as a user runs them, on an archive
filled as ``archive sync`` fills it and placed by the real ``inbox ingest``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.db.engine import Database

from cli_runner import CLI
from inbox_archive import FilledArchive, later, mail


@pytest.fixture
async def inbox_cli(ready_cli: CLI) -> CLI:
    """GIVEN agents 王芳 and Li Lei, and two conversations: Anna Weber's (q1, our r1, her q2) and Claire
    Martin's (f1)."""
    for args in (("王芳", "--email", "wang@example.test", "--im", "wecom:wangfang"),
                 ("Li Lei", "--email", "li@example.test", "--im", "dingtalk:13800138000")):  # fmt: skip
        added = ready_cli("agent", "add", *args)
        assert added.code == 0, added.output
    async with Database(f"sqlite:///{ready_cli.root / 'data' / 'mailwarden.db'}") as db:
        archive = await FilledArchive.create(db, ready_cli.root / "data" / "archive")
        await archive.add(mail("LED panels", message_id="q1@weber"))
        await archive.add(
            mail("Re: LED panels", sender="Sales <sales@example.test>", to="anna@weber-gmbh.de",
                 message_id="r1@example.test", in_reply_to="q1@weber", at=later(30)),
            folder="Sent",
        )  # fmt: skip
        await archive.add(
            mail("Re: Re: LED panels", message_id="q2@weber", in_reply_to="r1@example.test", at=later(60))
        )
        await archive.add(
            mail(
                "Demande de prix",
                sender="Claire Martin <claire@lumiere-sarl.fr>",
                message_id="f1@x",
                at=later(90),
            )
        )
    ingested = ready_cli("inbox", "ingest", "--json")
    assert ingested.code == 0 and ingested.json["outcomes"]["opened"] == 2, ingested.output
    return ready_cli


def _ids(cli: CLI) -> dict[str, int]:
    listed = cli("inbox", "list", "--json").json["conversations"]
    return {c["subject"]: c["id"] for c in listed}


def test_notes_mentions_and_tags(inbox_cli: CLI, tmp_path: Path) -> None:
    cli = inbox_cli
    weber = _ids(cli)["LED panels"]
    noted = cli("inbox", "note", str(weber), "--as", "Li Lei", "@王芳 请跟进，@nobody", "--json")
    assert noted.code == 0, noted.output
    assert (noted.json["alerted"], noted.json["unknown_mentions"]) == (["王芳"], ["nobody"])
    said = cli("inbox", "note", str(weber), "--as", "Li Lei", "@王芳 again", "--lang", "zh-CN")
    assert "已通知：王芳。" in said.stdout
    (tmp_path / "note.txt").write_text("from a file\n", encoding="utf-8")
    filed = cli("inbox", "note", str(weber), "--as", "王芳", "--file", str(tmp_path / "note.txt"), "--json")
    assert filed.code == 0 and filed.json["note"]["text"] == "from a file"
    edited = cli(
        "inbox", "note", str(weber), "--as", "Li Lei", "--edit", str(noted.json["note"]["id"]), "fixed"
    )
    assert edited.code == 0, edited.output
    listed = cli("inbox", "notes", str(weber), "--history", "--json")
    assert [n["version"] for n in listed.json["notes"]] == [2, 1, 1]
    assert [v["text"] for v in listed.json["notes"][0]["history"]] == ["@王芳 请跟进，@nobody", "fixed"]
    refused = cli("inbox", "note", str(weber), "hi", "--json")
    assert refused.code == 2 and refused.json["error"]["key"] == "inbox.collab.cli_needs_agent"

    tagged = cli("inbox", "tag", str(weber), "+VIP", "询盘", "--json")
    assert (tagged.code, tagged.json["tags"]) == (0, ["vip", "询盘"]), tagged.output
    untagged = cli("inbox", "tag", str(weber), "-询盘", "--json")
    assert untagged.json["tags"] == ["vip"], untagged.output
    assert [c["id"] for c in cli("inbox", "list", "--tag", "vip", "--json").json["conversations"]] == [weber]
    assert cli("inbox", "tags", "--json").json["tags"] == [{"tag": "vip", "conversations": 1}]
    assert "vip" in cli("inbox", "show", str(weber)).stdout


def test_canned_replies(inbox_cli: CLI, tmp_path: Path) -> None:
    cli = inbox_cli
    weber = _ids(cli)["LED panels"]
    body = tmp_path / "body.txt"
    body.write_text(
        "{customer_first_name}您好，\n{agent_name} 感谢您对“{conversation_subject}”的询价。", "utf-8"
    )
    added = cli("inbox", "canned", "add", "感谢", "--body-file", str(body), "--mailbox", "sales")
    assert added.code == 0, added.output
    assert cli("inbox", "canned", "list", "--json").json["canned"][0]["mailbox"] == "sales"
    rendered = cli("inbox", "canned", "render", "感谢", str(weber), "--as", "王芳", "--json")
    assert rendered.json["rendered"]["text"] == "Anna您好，\n王芳 感谢您对“LED panels”的询价。", (
        rendered.output
    )
    body.write_text("Hi {customer.__class__}", "utf-8")
    hostile = cli("inbox", "canned", "add", "bad", "--body-file", str(body), "--lang", "zh-CN")
    assert hostile.code == 2 and "customer.__class__" in hostile.stderr and "不是可用变量" in hostile.stderr
    assert cli("inbox", "canned", "remove", "感谢").code == 0
    assert cli("inbox", "canned", "show", "感谢", "--json").code == 2


def test_merge_split_and_contacts(inbox_cli: CLI) -> None:
    cli = inbox_cli
    ids = _ids(cli)
    weber, claire = ids["LED panels"], ids["Demande de prix"]
    merged = cli("inbox", "merge", str(weber), str(claire), "--json")
    assert (merged.code, merged.json["messages"]) == (0, 1), merged.output
    assert list(_ids(cli).values()) == [weber]
    shown = cli("inbox", "show", str(claire), "--json").json["conversation"]
    assert shown["merged_into_id"] == weber
    again = cli("inbox", "merge", str(weber), str(claire), "--json")
    assert again.code == 2 and again.json["error"]["kind"] == "conflict_error"

    messages = cli("inbox", "show", str(weber), "--json").json["conversation"]["messages"]
    f1 = next(m["id"] for m in messages if m["message_id"] == "f1@x")
    split = cli("inbox", "split", str(weber), str(f1), "--json")
    assert split.code == 0, split.output
    assert cli("inbox", "show", split.json["new_uid"], "--json").json["conversation"]["contact"]["name"] == (
        "Claire Martin"
    )
    missing = cli("inbox", "split", str(weber), "999999", "--lang", "zh-CN")
    assert missing.code == 2 and "不在会话" in missing.stderr

    assert cli("inbox", "contact", "candidates", "--json").json["candidates"] == []
    contacts = cli("inbox", "show", str(weber), "--json").json["conversation"]["contact"]["id"]
    other = cli("inbox", "show", split.json["new_uid"], "--json").json["conversation"]["contact"]["id"]
    joined = cli("inbox", "contact", "merge", str(contacts), str(other), "--json")
    assert (joined.code, joined.json["addresses"]) == (0, 1), joined.output
