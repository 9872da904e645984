"""Typed settings from ``mailwarden.toml`` and ``MAILWARDEN_*`` environment variables.

Where the file is: ``--config PATH``, else ``MAILWARDEN_CONFIG``, else ``./mailwarden.toml`` (absent is fine:
every setting has a default). Environment variables override the file: ``MAILWARDEN_DATABASE_URL`` sets
``database_url``; a section key such as ``[log] level`` is ``MAILWARDEN_LOG__LEVEL``. A secret setting can be
read from a file instead: ``MAILWARDEN_SECRET_KEY_FILE=/run/secrets/key`` (the Docker/systemd habit).

Relative paths in the file are relative to the file's folder, so a config works from any working directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from mailwarden.core import i18n
from mailwarden.core.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "ENV_PREFIX",
    "ArchiveSettings",
    "DiagnoseSettings",
    "InboxSettings",
    "LogSettings",
    "NotifySettings",
    "Settings",
    "load_settings",
]

ENV_PREFIX = "MAILWARDEN_"
CONFIG_ENV = "MAILWARDEN_CONFIG"
DEFAULT_CONFIG_NAME = "mailwarden.toml"
#: settings that may come from ``<NAME>_FILE``: secrets, and the database URL (it can hold a password)
SECRET_SETTINGS = ("secret_key", "database_url")


class LogSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: optional file; stderr always gets WARNING and above
    file: Path | None = None
    json_format: bool = Field(default=False, alias="json")


class ArchiveSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: where blobs are kept; default ``data_dir/archive``
    dir: Path | None = None
    #: COMPRESS=DEFLATE on IMAP: ``auto`` uses it for servers that are not on this machine
    compress: Literal["auto", "always", "never"] = "auto"
    #: days between ``archive purge schedule`` and the earliest ``archive purge run`` that executes it:
    #: the time to notice a mistake and cancel (decision 0010)
    purge_grace_days: int = Field(default=30, ge=0, le=3650)


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: where the full-text index is kept (derived data: ``archive reindex`` rebuilds it); default
    #: ``data_dir/search``
    dir: Path | None = None
    #: index new messages at the end of each ``archive sync`` and ``archive watch`` pass
    index_on_sync: bool = True


class DiagnoseSettings(BaseModel):
    """``mailwarden diagnose``: every outside party it asks is a setting, so a lab (or a company's own
    resolver) can stand in for it."""

    model_config = ConfigDict(extra="forbid")

    #: resolvers as ``IP`` or ``IP:PORT``; empty means the system's (``/etc/resolv.conf``)
    dns_servers: list[str] = []
    #: port on which the domain's authoritative servers are asked directly (53 in the real world)
    dns_authoritative_port: int = Field(default=53, gt=0, lt=65536)
    #: RDAP base URL (``.../domain/NAME`` is appended); empty means the IANA bootstrap registry
    rdap_base_url: str = ""
    #: where the IANA RDAP bootstrap file is read from
    rdap_bootstrap_url: str = "https://data.iana.org/rdap/dns.json"
    #: WHOIS server (``HOST`` or ``HOST:PORT``) for TLDs without RDAP; empty: the one whois.iana.org names
    whois_server: str = ""
    #: provider status sources by provider id, overriding the catalogue's (``{gmail = "http://..."}``)
    status_urls: dict[str, str] = {}
    #: an extra provider catalogue (TOML, same shape as the built-in one), e.g. for a self-hosted server
    providers_file: Path | None = None
    #: seconds for one TCP connect, one TLS handshake, one DNS query, one HTTP request, one server reply
    connect_timeout: float = Field(default=4.0, gt=0)
    dns_timeout: float = Field(default=3.0, gt=0)
    http_timeout: float = Field(default=4.0, gt=0)
    reply_timeout: float = Field(default=5.0, gt=0)
    #: the whole diagnosis ends by then, whatever is still waiting (reported as unfinished)
    deadline: float = Field(default=6.0, gt=0)
    #: login attempts per account (user name and server) within ``login_window_minutes``, across runs
    login_attempts: int = Field(default=3, ge=1)
    login_window_minutes: int = Field(default=30, ge=1)


class NotifySettings(BaseModel):
    """Alert delivery (``mailwarden notify``): the worker's timing, and what user-given URLs may reach."""

    model_config = ConfigDict(extra="forbid")

    #: seconds between polls of the outbox when there is nothing to do
    poll: float = Field(default=1.0, gt=0)
    #: seconds a worker's claim on an alert lasts; longer than ``timeout``, or a slow request loses it
    hold: float = Field(default=60.0, gt=0)
    #: seconds for one request to a chat service (or one SMTP step of an e-mail alert)
    timeout: float = Field(default=10.0, gt=0)
    #: the administrator's switch over ``notify channel add --allow-private``: while false, no channel may
    #: reach a private, loopback or link-local address, whatever it was added with (SSRF into the intranet)
    allow_private_targets: bool = False

    @model_validator(mode="after")
    def _hold_outlasts_a_request(self) -> NotifySettings:
        if self.hold <= self.timeout:
            raise ValueError("hold must be longer than timeout, or a slow request loses its claim")
        return self


class TeamSettings(BaseModel):
    """A team of the inbox (``[inbox.teams.<name>]``): the mailboxes it answers, its agents, its business
    hours and SLA. Hours and SLA are checked when the inbox loads them (:mod:`mailwarden.inbox.teams`)."""

    model_config = ConfigDict(extra="forbid")

    #: mailboxes (by name) whose conversations the team answers; empty: every mailbox no other team names
    mailboxes: list[str] = []
    #: agents (by name) who take its conversations; empty: every agent
    agents: list[str] = []
    #: who gets a conversation no rule and no sticky owner decides: ``round_robin``, ``least_loaded``, or
    #: ``manual`` (it waits in the team queue for someone to take it)
    assign: Literal["round_robin", "least_loaded", "manual"] = "round_robin"
    #: business hours: ``timezone``, ``hours`` (``{"mon-fri" = "09:00-12:00, 13:30-18:00"}``), ``country``
    #: (public holidays and make-up working days from the ``holidays`` package), ``extra_holidays``,
    #: ``extra_workdays``
    hours: dict[str, Any] = {
        "timezone": "Asia/Shanghai",
        "country": "CN",
        "hours": {"mon-fri": "09:00-18:00"},
    }
    #: SLA targets in business time: ``first_response``, ``next_response`` (``"2h"``, ``"90m"``),
    #: ``due_soon`` (fraction, 0.75), ``pause_on``, per-``priority`` overrides
    sla: dict[str, Any] = {"first_response": "2h", "next_response": "4h"}


class ReplySettings(BaseModel):
    """Replies from the shared address (``[inbox.replies]``): the outgoing queue, Sent, collisions."""

    model_config = ConfigDict(extra="forbid")

    #: the display name of the shared address, per mailbox name (``{sales = "ACME Sales"}``); default: none
    display_names: dict[str, str] = {}
    #: quote the customer's last message under the reply unless the caller says otherwise
    quote: bool = True
    #: seconds each SMTP or IMAP step may take
    timeout: float = Field(default=30.0, gt=0)
    #: how long a worker holds a claimed reply: longer than an SMTP session plus the APPEND to Sent
    hold: float = Field(default=300.0, gt=0)
    #: back-off after a temporary failure: ``base * 2**(attempt-1)`` seconds, at most ``cap``
    backoff_base: float = Field(default=30.0, gt=0)
    backoff_cap: float = Field(default=1800.0, gt=0)
    #: temporary failures in a row before a reply is marked failed (visible, retryable by hand)
    max_attempts: int = Field(default=12, ge=1)
    #: a reply whose SMTP session ended in doubt (crash or cut after the data) and that is in neither
    #: the Sent folder nor the archive: ``resend`` (the same bytes and Message-ID) or ``hold`` (mark it
    #: failed for an agent to retry). Decision 0017.
    in_doubt: Literal["resend", "hold"] = "resend"
    #: the Sent folder's name when the server marks none ``\Sent`` and the usual names are not there
    sent_folder: str | None = None
    #: pause of the worker when nothing is due, in seconds
    poll: float = Field(default=5.0, gt=0)
    #: seconds a viewing/replying heartbeat lasts
    presence_ttl: float = Field(default=60.0, gt=0)
    #: the largest reply (with its attachments) the queue takes, in bytes
    max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)


class SlaWorkerSettings(BaseModel):
    """The SLA worker (``[inbox.sla]``). Its timers fire at their due instants; this is only how soon it
    notices a change made by another process (the API, ``mailwarden inbox status``) while it sleeps."""

    model_config = ConfigDict(extra="forbid")

    #: seconds between checks of the earliest ``sla_next_at`` (one index lookup) while nothing is due
    check_seconds: float = Field(default=2.0, ge=0.05, le=300)


class InboxSettings(BaseModel):
    """The team inbox (``mailwarden inbox``, ``mailwarden worker``)."""

    model_config = ConfigDict(extra="forbid")

    #: archived messages read, threaded and committed at a time (one transaction with the cursor)
    batch: int = Field(default=200, ge=1, le=5000)
    #: the team's addresses besides its mailboxes' and its agents' (colleagues writing from their own
    #: address): mail from them is ours (outgoing), and they never become contacts
    own_addresses: list[str] = []
    #: ``List-Id`` values of lists the team's own mail arrives through (a Google Group as sales@): not noise
    own_list_ids: list[str] = []
    #: how many days before a mailbox was added its mail is still work for the team; what the server
    #: received earlier is history: filed closed, searchable, in the customers' records, but not assigned,
    #: announced or put on an SLA clock (a customer who writes again reopens it). None: all of it is work
    backlog_days: float | None = Field(default=3.0, ge=0, le=36500)
    #: the teams; none configured: one team ``team`` with the defaults of ``[inbox.teams.<name>]``, answering
    #: every mailbox
    teams: dict[str, TeamSettings] = {}
    #: replies, the outgoing queue and collision detection
    replies: ReplySettings = ReplySettings()
    #: the SLA timer worker (``[inbox.sla]``)
    sla: SlaWorkerSettings = SlaWorkerSettings()


class Settings(BaseModel):
    """Everything configurable. Field docs are the configuration reference (docs/configuration.md)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    #: folder for the SQLite database, the key file and (later) the archive
    data_dir: Path = Path("data")
    #: SQLAlchemy URL; empty means SQLite at ``data_dir/mailwarden.db``. PostgreSQL:
    #: ``postgresql+asyncpg://user:pass@host/db``
    database_url: SecretStr | None = None
    #: the key that encrypts stored credentials (URL-safe base64 of 32 bytes); prefer ``secret_key_file``
    secret_key: SecretStr | None = None
    #: where the key is kept; ``mailwarden init`` creates it (mode 0600). Default ``data_dir/secret.key``
    secret_key_file: Path | None = None
    #: language of user-facing text: ``en`` or ``zh-CN``
    language: str = Field(default_factory=i18n.default_language)
    log: LogSettings = LogSettings()
    archive: ArchiveSettings = ArchiveSettings()
    search: SearchSettings = SearchSettings()
    diagnose: DiagnoseSettings = DiagnoseSettings()
    notify: NotifySettings = NotifySettings()
    inbox: InboxSettings = InboxSettings()
    #: the file these settings came from, if any (not a setting)
    source: Path | None = Field(default=None, exclude=True)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        lang = i18n.normalize(value)
        return lang

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'mailwarden.db').resolve()}"

    @property
    def archive_dir(self) -> Path:
        return self.archive.dir or self.data_dir / "archive"

    @property
    def search_dir(self) -> Path:
        return self.search.dir or self.data_dir / "search"

    @property
    def key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """Turn ``MAILWARDEN_A__B=v`` into ``{"a": {"b": "v"}}`` and resolve ``*_FILE`` secrets."""
    data: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in {CONFIG_ENV, "MAILWARDEN_LANG"}:
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key.endswith("_file") and key[: -len("_file")] in SECRET_SETTINGS:
            secret_name = key[: -len("_file")]
            if f"{ENV_PREFIX}{secret_name.upper()}" in environ:
                raise ConfigError(detail=f"set either {ENV_PREFIX}{secret_name.upper()} or {name}, not both")
            if secret_name == "secret_key":  # noqa: S105 - a setting name, not a password
                # keep the path: the key file is read (and its permissions checked) by the secret box
                data["secret_key_file"] = value
                continue
            try:
                data[secret_name] = Path(value).read_text("utf-8").strip()
            except OSError as exc:
                raise ConfigError(detail=f"{name}: cannot read {value}: {exc.strerror}") from exc
            continue
        target = data
        *parents, leaf = key.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    if "MAILWARDEN_LANG" in environ and "language" not in data:
        data["language"] = environ["MAILWARDEN_LANG"]
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _anchor_paths(data: dict[str, Any], folder: Path) -> None:
    for key in ("data_dir", "secret_key_file"):
        if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
            data[key] = str(folder / data[key])
    for section, key in (
        ("log", "file"),
        ("archive", "dir"),
        ("search", "dir"),
        ("diagnose", "providers_file"),
    ):
        table = data.get(section)
        if isinstance(table, dict) and isinstance(table.get(key), str) and not Path(table[key]).is_absolute():
            table[key] = str(folder / table[key])


def config_path(explicit: Path | None = None, environ: dict[str, str] | None = None) -> Path:
    environ = dict(os.environ) if environ is None else environ
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the settings. A named file that is missing is an error; the default one may be absent."""
    environ = dict(os.environ) if environ is None else environ
    file = config_path(path, environ)
    named = path is not None or bool(environ.get(CONFIG_ENV))
    data: dict[str, Any] = {}
    source: Path | None = None
    if file.exists():
        try:
            data = tomllib.loads(file.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(detail=f"{file}: {exc}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(detail=f"{file}: cannot read: {exc}") from exc
        _anchor_paths(data, file.resolve().parent)
        source = file.resolve()
    elif named:
        raise ConfigError(
            detail=f"{file} does not exist (run `mailwarden init --config {file}` to create it)"
        )
    data = _merge(data, _env_overrides(environ))
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(detail=f"{source or 'environment'}: {problems}") from None
    settings.source = source
    return settings
