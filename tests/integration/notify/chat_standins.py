"""Stand-ins for the chat vendors' webhook endpoints, one real HTTP server per vendor, on loopback.

Each checks what its vendor checks — the signature algorithm and its freshness window, the payload schema,
the mention fields, the rate limit — and answers with the vendor's documented bodies, success and error
alike. A stand-in is stricter than the vendor in one way: it records a mention written in the payload's
list but missing from the text (DingTalk would post it without the highlight), so a test can fail on it.

Times come from ``mailwarden.core.clock``, so a frozen clock drives the freshness checks and rate windows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mailwarden.core import clock

Reply = tuple[int, str, str]  # status, body, content type
JSON_TYPE = "application/json;charset=utf-8"


def _json(status: int, data: dict[str, Any]) -> Reply:
    return status, json.dumps(data, ensure_ascii=False), JSON_TYPE


@dataclass
class Received:
    """A request the stand-in accepted: its payload, the text people would read, and who was mentioned."""

    payload: Any
    text: str
    mentions: list[str]
    headers: dict[str, str] = field(default_factory=dict)


class StandIn:
    """A vendor endpoint. ``mode``: ``ok``; ``error`` (HTTP 500 to everything); ``hold`` (accept and record,
    then wait for :meth:`release` before answering, to kill a worker mid-request)."""

    name = "vendor"

    def __init__(self, token: str = "tok-123", secret: str | None = None) -> None:
        self.token = token
        self.secret = secret
        self.mode = "ok"
        #: hold the n-th accepted request (1-based) as in ``hold`` mode
        self.hold_at: int | None = None
        self.received: list[Received] = []
        self.refusals: list[tuple[int, str]] = []
        self.requests = 0
        self.problems: list[str] = []  # stricter-than-vendor findings
        self.starts: list[Any] = []  # clock.now() of every accepted request, for rate checks
        #: a documented vendor answer to give the next request instead of checking it (answers that a
        #: correct payload cannot provoke: a robot switched off, a vendor's own parameter error)
        self.next_answer: Reply | None = None
        self._held = threading.Event()
        self.holding = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> StandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, text, ctype = stand_in._handle(self.path, dict(self.headers.items()), body)
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until :meth:`start` (same port) again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def release(self) -> None:
        self._held.set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- requests -----------------------------------------------------------------------------------
    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        with self._lock:
            self.requests += 1
        if self.mode == "error":
            return 500, "Internal Server Error", "text/plain"
        with self._lock:
            forced, self.next_answer = self.next_answer, None
        if forced is not None:
            self.refusals.append((forced[0], forced[1]))
            return forced
        parts = urlsplit(path)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        with self._lock:
            reply, accepted = self.check(parts.path, parse_qs(parts.query), headers, payload, body)
            if accepted is not None:
                self.received.append(accepted)
                self.starts.append(clock.now())
            else:
                self.refusals.append((reply[0], reply[1]))
        if accepted is not None and (self.mode == "hold" or len(self.received) == self.hold_at):
            self.holding.set()
            self._held.wait(30)
        return reply

    def check(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str], payload: Any, raw: bytes
    ) -> tuple[Reply, Received | None]:
        raise NotImplementedError

    def in_last_minute(self) -> int:
        now = clock.now()
        return sum(1 for t in self.starts if t > now - timedelta(minutes=1))

    def keys(self, pattern: str = r"#(\d+)") -> list[str]:
        """The alert numbers in the received texts, in arrival order (one per line for a digest)."""
        found: list[str] = []
        for r in self.received:
            found += list(dict.fromkeys(re.findall(pattern, r.text)))  # a title may show twice in one message
        return found


def fresh(timestamp_s: float, window: float) -> bool:
    return abs(clock.now().timestamp() - timestamp_s) <= window


class FeishuStandIn(StandIn):
    """POST /open-apis/bot/v2/hook/<token>; body ``timestamp`` (s) and ``sign`` when signing is on."""

    name = "feishu"

    @property
    def url(self) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{self.token}"

    def check(
        self, path: str, query: Any, headers: Any, payload: Any, raw: bytes
    ) -> tuple[Reply, Received | None]:
        if path != f"/open-apis/bot/v2/hook/{self.token}":
            return _json(
                200,
                {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid"},
            ), None
        if not isinstance(payload, dict):
            return _json(400, {"code": 9499, "data": {}, "msg": "Bad Request"}), None
        if self.secret is not None:
            ts, sign = str(payload.get("timestamp", "")), payload.get("sign")
            key = f"{ts}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if not ts.isdigit() or not fresh(int(ts), 3600) or sign != expected:
                msg = "sign match fail or timestamp is not within one hour from current time"
                return _json(200, {"code": 19021, "data": {}, "msg": msg}), None
        if not payload.get("msg_type"):  # cliii-one/FnDepot#22: the answer to a body without msg_type
            return _json(200, {"code": 19002, "data": {}, "msg": "params error, msg_type need"}), None
        if payload.get("msg_type") != "interactive" or not isinstance(payload.get("card"), dict):
            return _json(200, {"code": 9499, "data": {}, "msg": "Bad Request"}), None
        card = payload["card"]
        texts = [e["text"]["content"] for e in card.get("elements", []) if e.get("tag") == "div"]
        title = card.get("header", {}).get("title", {}).get("content", "")
        if not title or not texts:
            return _json(200, {"code": 9499, "data": {}, "msg": "Bad Request"}), None
        text = title + "\n" + "\n".join(texts)
        mentions = re.findall(r"<at id=([^>\s]+)></at>", text)
        return _json(
            200, {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
        ), Received(payload, text, mentions)


class DingTalkStandIn(StandIn):
    """POST /robot/send?access_token=<token>&timestamp=<ms>&sign=<urlencoded base64>; 20 a minute."""

    name = "dingtalk"
    limit = 20

    @property
    def url(self) -> str:
        return f"{self.base}/robot/send?access_token={self.token}"

    def check(
        self, path: str, query: dict[str, list[str]], headers: Any, payload: Any, raw: bytes
    ) -> tuple[Reply, Received | None]:
        if path != "/robot/send" or query.get("access_token") != [self.token]:
            return _json(200, {"errcode": 300001, "errmsg": "token is not exist"}), None
        if self.secret is not None:
            ts = (query.get("timestamp") or [""])[0]
            sign = (query.get("sign") or [""])[0]  # parse_qs decoded it once, as DingTalk does
            mac = hmac.new(self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256)
            if not ts.isdigit() or not fresh(int(ts) / 1000, 3600):
                # the wording seen in jenkinsci/dingtalk-plugin#116 and leitingting08/ding-bot-sdk#3
                more = "more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
                return _json(200, {"errcode": 310000, "errmsg": f"invalid timestamp, {more}"}), None
            if sign != base64.b64encode(mac.digest()).decode():
                return _json(
                    200,
                    {
                        "errcode": 310000,
                        "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
                    },
                ), None
        if self.in_last_minute() >= self.limit:
            return _json(
                200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
            ), None
        if not isinstance(payload, dict) or payload.get("msgtype") not in {
            "text",
            "markdown",
            "link",
            "actionCard",
            "feedCard",
        }:
            return _json(200, {"errcode": 40035, "errmsg": "缺少参数 json"}), None
        if payload["msgtype"] == "markdown":
            md = payload.get("markdown") or {}
            if not md.get("title") or not md.get("text"):
                return _json(200, {"errcode": 40035, "errmsg": "缺少参数 markdown"}), None
            text = md["text"]
        else:
            text = (payload.get("text") or {}).get("content", "")
        at = payload.get("at") or {}
        mentions = list(at.get("atMobiles") or []) + list(at.get("atUserIds") or [])
        for who in mentions:
            if f"@{who}" not in text:
                self.problems.append(f"@{who} is in the at list but not in the text")
        return _json(200, {"errcode": 0, "errmsg": "ok"}), Received(payload, text, mentions)


class WeComStandIn(StandIn):
    """POST /cgi-bin/webhook/send?key=<token>; markdown ≤ 4096 bytes, text ≤ 2048; 20 a minute."""

    name = "wecom"
    limit = 20

    @property
    def url(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={self.token}"

    def check(
        self, path: str, query: dict[str, list[str]], headers: Any, payload: Any, raw: bytes
    ) -> tuple[Reply, Received | None]:
        if path != "/cgi-bin/webhook/send" or query.get("key") != [self.token]:
            hint = "invalid webhook url, hint: [1764220000000000000000], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000"
            return _json(200, {"errcode": 93000, "errmsg": hint}), None
        if self.in_last_minute() >= self.limit:
            return _json(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), None
        kind = payload.get("msgtype") if isinstance(payload, dict) else None
        if kind == "markdown":
            text = (payload.get("markdown") or {}).get("content", "")
            if not text or len(text.encode()) > 4096:
                return _json(
                    200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
                ), None
            return _json(200, {"errcode": 0, "errmsg": "ok"}), Received(
                payload, text, re.findall(r"<@([^>]+)>", text)
            )
        if kind == "text":
            body = payload.get("text") or {}
            text = body.get("content", "")
            if not text or len(text.encode()) > 2048:
                return _json(200, {"errcode": 40058, "errmsg": "text.content exceed max length 2048"}), None
            mentions = list(body.get("mentioned_list") or []) + list(body.get("mentioned_mobile_list") or [])
            return _json(200, {"errcode": 0, "errmsg": "ok"}), Received(payload, text, mentions)
        return _json(200, {"errcode": 40008, "errmsg": "invalid message type"}), None


class SlackStandIn(StandIn):
    """POST /services/T000/B000/<token>: ``200 ok`` as text, errors as status + code."""

    name = "slack"

    @property
    def url(self) -> str:
        return f"{self.base}/services/T000/B000/{self.token}"

    def check(
        self, path: str, query: Any, headers: Any, payload: Any, raw: bytes
    ) -> tuple[Reply, Received | None]:
        if path != f"/services/T000/B000/{self.token}":
            return (404, "no_service", "text/html"), None
        if not isinstance(payload, dict):
            return (400, "invalid_payload", "text/html"), None
        if not payload.get("text") and not payload.get("blocks"):
            return (400, "no_text", "text/html"), None
        texts = [payload.get("text", "")]
        for block in payload.get("blocks") or []:
            if not isinstance(block, dict) or "type" not in block:
                return (400, "invalid_blocks", "text/html"), None
            texts.append((block.get("text") or {}).get("text", ""))
        text = "\n".join(texts)
        mentions = sorted(set(re.findall(r"<@([A-Z0-9]+)>", text)))
        return (200, "ok", "text/html"), Received(payload, text, mentions)


class TeamsStandIn(StandIn):
    """A Workflows trigger: POST /workflows/<token>/triggers/manual/paths/invoke; 202 Accepted."""

    name = "teams"

    @property
    def url(self) -> str:
        return f"{self.base}/workflows/{self.token}/triggers/manual/paths/invoke?api-version=1"

    def check(
        self, path: str, query: Any, headers: Any, payload: Any, raw: bytes
    ) -> tuple[Reply, Received | None]:
        if path != f"/workflows/{self.token}/triggers/manual/paths/invoke":
            return _json(
                404, {"error": {"code": "TriggerNotFound", "message": "The workflow trigger was not found."}}
            ), None
        try:
            [attachment] = payload["attachments"]
            assert payload["type"] == "message"
            assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            card = attachment["content"]
            assert card["type"] == "AdaptiveCard" and card["body"]
        except (KeyError, TypeError, ValueError, AssertionError):
            return _json(
                400,
                {"error": {"code": "InvalidRequestContent", "message": "The request content is not valid."}},
            ), None
        text = "\n".join(b.get("text", "") for b in card["body"] if b.get("type") == "TextBlock")
        entities = (card.get("msteams") or {}).get("entities") or []
        tags = set(re.findall(r"<at>[^<]+</at>", text))
        entity_tags = {e.get("text") for e in entities if e.get("type") == "mention"}
        if tags != entity_tags:
            self.problems.append(f"mention tags {sorted(tags)} do not match entities {sorted(entity_tags)}")
        mentions = [e["mentioned"]["id"] for e in entities if e.get("type") == "mention"]
        return (202, "", "text/plain"), Received(payload, text, mentions)


class WebhookStandIn(StandIn):
    """Our generic webhook's receiver, doing what docs/configuration.md tells receivers to do."""

    name = "webhook"

    def __init__(self, token: str = "hook", secret: str | None = "whsec") -> None:
        super().__init__(token, secret)
        self.seen: set[str] = set()
        self.repeats = 0

    @property
    def url(self) -> str:
        return f"{self.base}/hooks/{self.token}"

    def check(
        self, path: str, query: Any, headers: dict[str, str], payload: Any, raw: bytes
    ) -> tuple[Reply, Received | None]:
        if path != f"/hooks/{self.token}":
            return (404, "not found", "text/plain"), None
        ts = headers.get("X-Mailwarden-Timestamp", "")
        if self.secret is not None:
            mac = hmac.new(self.secret.encode(), f"{ts}.".encode() + raw, hashlib.sha256).hexdigest()
            if (
                not ts.isdigit()
                or not fresh(int(ts), 300)
                or headers.get("X-Mailwarden-Signature") != f"sha256={mac}"
            ):
                return (401, "bad signature", "text/plain"), None
        delivery = headers.get("X-Mailwarden-Delivery", "")
        if delivery in self.seen:
            self.repeats += 1
            return (200, "duplicate ignored", "text/plain"), None
        self.seen.add(delivery)
        text = payload["title"] + "\n" + "\n".join(payload["lines"])
        return (200, "accepted", "text/plain"), Received(
            payload, text, [m["name"] for m in payload["mentions"]], headers
        )


STAND_INS: dict[str, Callable[..., StandIn]] = {
    "feishu": FeishuStandIn,
    "lark": FeishuStandIn,
    "dingtalk": DingTalkStandIn,
    "wecom": WeComStandIn,
    "slack": SlackStandIn,
    "teams": TeamsStandIn,
    "webhook": WebhookStandIn,
}
