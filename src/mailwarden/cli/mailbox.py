"""``mailwarden mailbox add|list|remove|test``."""

from __future__ import annotations

import getpass
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailwarden.cli.common import EXIT_PROBLEM, ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import InputError
from mailwarden.mailboxes import service
from mailwarden.mailboxes.models import Mailbox

if TYPE_CHECKING:
    from mailwarden.mailboxes.check import MailboxReport, ProtocolReport

app = typer.Typer(
    help="Shared mailboxes: add, list, remove, test. 共享邮箱：添加、列出、删除、测试。", no_args_is_help=True
)


class TLS(StrEnum):
    implicit = "implicit"
    starttls = "starttls"
    none = "none"


class CredentialKind(StrEnum):  # names of kinds of credential, not credentials
    password = "password"  # noqa: S105
    app_password = "app_password"  # noqa: S105
    oauth2_token = "oauth2_token"  # noqa: S105


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password / 密码: ")
    data = sys.stdin.read()
    # one trailing newline comes from `echo` or a file; anything else is part of the password
    return data[:-2] if data.endswith("\r\n") else data[:-1] if data.endswith("\n") else data


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. sales. 邮箱名称。")],
    address: Annotated[str, typer.Option("--address", help="The shared address. 共享邮箱地址。")],
    username: Annotated[str, typer.Option("--username", help="Login name. 登录用户名。")],
    imap_host: Annotated[str, typer.Option("--imap-host")],
    imap_port: Annotated[int, typer.Option("--imap-port")],
    imap_tls: Annotated[TLS, typer.Option("--imap-tls")],
    smtp_host: Annotated[str, typer.Option("--smtp-host")],
    smtp_port: Annotated[int, typer.Option("--smtp-port")],
    smtp_tls: Annotated[TLS, typer.Option("--smtp-tls")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input. 从标准输入读取密码。"),
    ] = False,
    credential_ref: Annotated[
        str | None,
        typer.Option(
            "--credential-ref",
            help="Resolve the password when used: env:NAME, file:PATH, bw:ITEM, op://vault/item/field.",
        ),
    ] = None,
    credential_kind: Annotated[
        CredentialKind,
        typer.Option("--credential-kind", help="password, app_password (授权码) or oauth2_token."),
    ] = CredentialKind.password,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="Extra CA certificates (PEM). 额外信任的 CA 证书。")
    ] = None,
    allow_plaintext: Annotated[
        bool, typer.Option("--allow-plaintext", help="Permit --*-tls none. 允许不加密连接。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Add a shared mailbox; the password is stored encrypted. 添加共享邮箱，密码加密保存。"""
    run = Run(config, as_json, lang)
    if password_stdin == (credential_ref is not None):
        run.fail(InputError(detail="give exactly one of --password-stdin or --credential-ref"))
    spec = service.MailboxSpec(
        name=name,
        address=address,
        username=username,
        imap_host=imap_host,
        imap_port=imap_port,
        imap_tls=imap_tls.value,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_tls=smtp_tls.value,
        ca_file=ca_file,
        allow_plaintext=allow_plaintext,
        credential_kind=credential_kind.value,
    )
    try:
        spec.validate()  # before asking for a password
    except InputError as exc:
        run.fail(exc)
    secret = _read_password() if password_stdin else None
    box = run.secret_box() if secret is not None else None

    async def go() -> Mailbox:
        async with run.database() as db:
            return await service.add_mailbox(db, spec, box=box, secret=secret, ref=credential_ref)

    mailbox = run_async(go)
    run.say(run.t("mailbox.added", name=mailbox.name, address=mailbox.address), style="green")
    run.emit({"ok": True, "mailbox": _describe(mailbox)})


@app.command("list")
def list_(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the mailboxes (never their passwords). 列出邮箱。"""
    run = Run(config, as_json, lang)

    async def go() -> list[Mailbox]:
        async with run.database() as db:
            return await service.list_mailboxes(db)

    run.listing(
        "mailboxes",
        run_async(go),
        _describe,
        empty="mailbox.none",
        columns=("name", "address", "username", "IMAP", "SMTP", "credential"),
        row=lambda m: (
            m.name,
            m.address,
            m.username,
            f"{m.imap_host}:{m.imap_port} {m.imap_tls}",
            f"{m.smtp_host}:{m.smtp_port} {m.smtp_tls}",
            f"{m.credential_kind}: {m.credential_ref or 'encrypted'}",
        ),
    )


@app.command()
def remove(
    name: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove a mailbox from mailwarden (the mailbox itself is not touched). 删除邮箱配置。"""
    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await service.remove_mailbox(db, name)

    run_async(go)
    run.say(run.t("mailbox.removed", name=name))
    run.emit({"ok": True, "removed": name})


@app.command("test")
def check(
    name: Annotated[str, typer.Argument()],
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per step. 每步超时秒数。")] = 20.0,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Log in once over IMAP and once over SMTP; report OK or the server's exact answer. 测试登录。"""
    run = Run(config, as_json, lang)

    from mailwarden.mailboxes.check import check_mailbox  # brings in both protocols' clients

    async def go() -> MailboxReport:
        async with run.database() as db:
            mailbox = await service.get_mailbox(db, name)
        return await check_mailbox(mailbox, run.credential(mailbox), step_timeout=timeout)

    report = run_async(go)
    run.emit(report.as_dict(run.lang))
    for part in (report.imap, report.smtp):
        _print_part(run, report, part)
    run.say(
        run.t("mailbox.all_ok" if report.ok else "mailbox.some_failed", name=report.mailbox),
        style="bold green" if report.ok else "bold red",
    )
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEM)


def _print_part(run: Run, report: MailboxReport, part: ProtocolReport) -> None:
    where = {
        "proto": part.protocol.upper(),
        "host": part.host,
        "port": part.port,
        "username": report.username,
    }
    if part.error is None:
        run.say("✓ " + run.t("mailbox.test_ok", **where), style="green")
        return
    run.say("✗ " + run.t("mailbox.test_failed", **where), style="red")
    if part.server_answer:
        run.say("  " + run.t("mailbox.server_said", answer=part.server_answer))
    run.say("  " + part.error.render(run.lang))
    hint = part.error.hint(run.lang)
    if hint:
        run.say("  " + hint, style="yellow")


def _describe(m: Mailbox) -> dict[str, Any]:
    return {
        "name": m.name,
        "uid": m.uid,
        "address": m.address,
        "username": m.username,
        "imap": {"host": m.imap_host, "port": m.imap_port, "tls": m.imap_tls},
        "smtp": {"host": m.smtp_host, "port": m.smtp_port, "tls": m.smtp_tls},
        "ca_file": m.ca_file,
        "allow_plaintext": m.allow_plaintext,
        "credential": {
            "kind": m.credential_kind,
            "ref": m.credential_ref,
            "stored": m.credential_secret is not None,
        },
    }
