"""``mailwarden diagnose ADDRESS``: name the root cause of "can't log in / can't connect".

The verdict first (the most likely cause, its evidence and the fix), then every check with what it saw.
Exit codes: 0 healthy, 1 a problem was found, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mailwarden.cli.common import EXIT_PROBLEM, ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.cli.mailbox import TLS, _read_password
from mailwarden.core.errors import InputError
from mailwarden.core.secrets import SecretValue

if TYPE_CHECKING:
    # the diagnosis (DNS, HTTP, homoglyph tables) is imported when the command runs: half a second that
    # every other command would otherwise pay
    from mailwarden.diagnose import Diagnosis
    from mailwarden.diagnose.evidence import Endpoint
    from mailwarden.diagnose.findings import Finding

__all__ = ["diagnose_command"]

_STATUS_MARK = {"ok": "✓", "warn": "!", "fail": "✗", "skipped": "-", "unfinished": "…"}
_STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "skipped": "dim", "unfinished": "yellow"}
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _endpoint(protocol: str, host: str | None, port: int | None, tls: TLS | None) -> Endpoint | None:
    from mailwarden.diagnose.evidence import Endpoint

    if host is None:
        if port is not None or tls is not None:
            raise InputError(detail=f"--{protocol}-port and --{protocol}-tls need --{protocol}-host")
        return None
    implicit_port = {"imap": 993, "smtp": 465, "pop3": 995}[protocol]
    plain_port = {"imap": 143, "smtp": 587, "pop3": 110}[protocol]
    mode = tls.value if tls is not None else "implicit" if port in (None, implicit_port) else "starttls"
    if port is None:
        port = implicit_port if mode == "implicit" else plain_port
    if not 0 < port < 65536:
        raise InputError(detail=f"--{protocol}-port {port} is out of range")
    return Endpoint(protocol, host.strip().lower(), port, mode)  # type: ignore[arg-type]


def diagnose_command(
    address: Annotated[
        str | None, typer.Argument(help="The address that cannot log in. 无法登录的邮箱地址。")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input. 从标准输入读取密码。"),
    ] = False,
    mailbox: Annotated[
        str | None,
        typer.Option("--mailbox", help="Use a stored mailbox's settings and password. 使用已保存的邮箱。"),
    ] = None,
    username: Annotated[
        str | None, typer.Option("--username", help="Login name if not the address. 登录名（默认为地址）。")
    ] = None,
    imap_host: Annotated[str | None, typer.Option("--imap-host")] = None,
    imap_port: Annotated[int | None, typer.Option("--imap-port")] = None,
    imap_tls: Annotated[TLS | None, typer.Option("--imap-tls")] = None,
    smtp_host: Annotated[str | None, typer.Option("--smtp-host")] = None,
    smtp_port: Annotated[int | None, typer.Option("--smtp-port")] = None,
    smtp_tls: Annotated[TLS | None, typer.Option("--smtp-tls")] = None,
    pop3_host: Annotated[str | None, typer.Option("--pop3-host")] = None,
    pop3_port: Annotated[int | None, typer.Option("--pop3-port")] = None,
    pop3_tls: Annotated[TLS | None, typer.Option("--pop3-tls")] = None,
    dns_server: Annotated[
        list[str] | None,
        typer.Option("--dns-server", help="Resolver IP[:PORT] (repeatable). 指定 DNS 服务器。"),
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="Extra CA certificates (PEM). 额外信任的 CA 证书。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Find out why an address cannot connect or log in, and the fix. 诊断无法连接/登录的原因。"""
    from mailwarden.diagnose import Request, diagnose
    from mailwarden.diagnose.evidence import Endpoint
    from mailwarden.mailboxes import service as mailboxes

    run = Run(config, as_json, lang)
    try:
        if password_stdin and mailbox:
            raise InputError("diagnose.mailbox_or_password")
        if mailbox is None and not address:
            raise InputError(detail="give an ADDRESS or --mailbox NAME")
        if ca_file is not None and not ca_file.is_file():
            raise InputError(detail=f"--ca-file {ca_file} does not exist")
        imap = _endpoint("imap", imap_host, imap_port, imap_tls)
        smtp = _endpoint("smtp", smtp_host, smtp_port, smtp_tls)
        pop3 = _endpoint("pop3", pop3_host, pop3_port, pop3_tls)
    except InputError as exc:
        run.fail(exc)
    secret = SecretValue(_read_password()) if password_stdin else None
    if secret is not None and not secret.reveal():
        run.fail(InputError(detail="the password is empty"))

    async def go() -> Diagnosis:
        request = Request(
            address=address or "",
            username=username or "",
            secret=secret,
            imap=imap,
            smtp=smtp,
            pop3=pop3,
            ca_file=str(ca_file) if ca_file else None,
            dns_servers=list(dns_server or []),
        )
        async with run.database() as db:
            if mailbox is not None:
                stored = await mailboxes.get_mailbox(db, mailbox)
                request.address = address or stored.address
                request.username = username or stored.username
                request.secret = run.credential(stored)
                request.oauth = stored.credential_kind == "oauth2_token"
                request.imap = imap or Endpoint("imap", stored.imap_host, stored.imap_port, stored.imap_tls)  # type: ignore[arg-type]
                request.smtp = smtp or Endpoint("smtp", stored.smtp_host, stored.smtp_port, stored.smtp_tls)  # type: ignore[arg-type]
                request.ca_file = request.ca_file or stored.ca_file
            if request.secret is None:
                return await diagnose(request, run.settings.diagnose)
            return await diagnose(request, run.settings.diagnose, db)

    result = run_async(go)
    run.emit(result.as_dict(run.lang))
    if not run.as_json:
        _print(run, result)
    if not result.healthy:
        raise typer.Exit(EXIT_PROBLEM)


def _print(run: Run, result: Diagnosis) -> None:
    out = run.out
    verdict = result.verdict
    out.print(f"[bold]{escape(run.t('diagnose.verdict'))}[/]")
    if verdict is None:
        key = "diagnose.healthy" if result.evidence.password_given else "diagnose.healthy_no_login"
        out.print("  " + escape(run.t(key, address=result.evidence.address.normalized)), style="bold green")
    else:
        _print_finding(run, verdict, lead=True)
    others = [f for f in result.findings if f is not verdict]
    if others:
        out.print(f"\n[bold]{escape(run.t('diagnose.other_findings'))}[/]")
        for finding in others:
            _print_finding(run, finding, lead=False)
    out.print(f"\n[bold]{escape(run.t('diagnose.checks'))}[/]")
    for check in result.checks:
        mark = _STATUS_MARK[check.status]
        out.print(f"  {mark} {escape(check.summary(run.lang))}", style=_STATUS_STYLE[check.status])
        for line in check.evidence:
            out.print(f"      {escape(line)}", style="dim")
    if result.unfinished:
        out.print(escape(run.t("diagnose.unfinished", names=", ".join(result.unfinished))), style="yellow")
    seconds = f"{result.elapsed_ms / 1000:.1f}"
    out.print(
        escape(
            run.t("diagnose.took", count=len(result.checks), seconds=seconds, attempts=result.login_attempts)
        ),
        style="dim",
    )


def _print_finding(run: Run, finding: Finding, *, lead: bool) -> None:
    out = run.out
    style = _SEVERITY_STYLE[finding.severity]
    confidence = run.t("diagnose.confidence", value=f"{finding.confidence:.0%}")
    prefix = "  ➜ " if lead else "  • "
    out.print(f"{prefix}[{style}]{escape(finding.title(run.lang))}[/] [dim]({finding.code}, {confidence})[/]")
    indent = "      " if lead else "    "
    for line in finding.evidence[: 8 if lead else 4]:
        out.print(f"{indent}│ {escape(line)}", style="dim")
    out.print(
        f"{indent}{escape(run.t('diagnose.fix'))}: {escape(finding.fix(run.lang))}",
        style="bold" if lead else None,
    )
