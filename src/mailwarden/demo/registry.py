"""The demo's domain registry: an RDAP server (RFC 9083) on loopback that knows ``demo.test``, so the
registration check of ``mailwarden diagnose`` runs for real (status, expiry, registrar) without asking
the outside world. ``[diagnose] rdap_base_url`` points here."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from mailwarden.web.server import Server

__all__ = ["Registry"]

RDAP = "application/rdap+json"


def _domain(name: str, now: datetime) -> dict[str, Any]:
    def date(days: int) -> str:
        return (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "rdapConformance": ["rdap_level_0"],
        "objectClassName": "domain",
        "ldhName": name,
        "status": ["client transfer prohibited"],
        "events": [
            {"eventAction": "registration", "eventDate": date(-3 * 365)},
            {"eventAction": "expiration", "eventDate": date(300)},
            {"eventAction": "last update of RDAP database", "eventDate": date(0)},
        ],
        "nameservers": [{"objectClassName": "nameserver", "ldhName": f"ns1.{name}"}],
        "entities": [
            {
                "objectClassName": "entity",
                "roles": ["registrar"],
                "vcardArray": [
                    "vcard",
                    [["version", {}, "text", "4.0"], ["fn", {}, "text", "Demo Registrar Ltd."]],
                ],
            }
        ],
    }


class Registry:
    """RDAP for the names in ``domains``; anything else is 404, as a registry answers for names it does
    not hold. :attr:`base_url` is known after :meth:`start`."""

    def __init__(self, domains: set[str], host: str = "127.0.0.1") -> None:
        self.domains = {d.lower() for d in domains}
        self.host = host
        self.base_url = ""
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.get("/rdap/domain/{name}")
        async def domain(name: str) -> JSONResponse:
            if name.lower().rstrip(".") not in self.domains:
                error = {
                    "errorCode": 404,
                    "title": "Not Found",
                    "description": [f"{name} is not registered here"],
                }
                return JSONResponse(error, status_code=404, media_type=RDAP)
            return JSONResponse(_domain(name.lower(), datetime.now(UTC)), media_type=RDAP)

        config = uvicorn.Config(app, host=host, port=0, log_config=None, access_log=False, lifespan="off")
        self._server = Server(config)  # the demo keeps the signals
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        begun = await self._server.begin()
        if begun is None:
            raise RuntimeError("the demo registry could not listen on a loopback port")
        self._task, port = begun
        self.base_url = f"http://{self.host}:{port}/rdap"
        return self.base_url

    async def close(self) -> None:
        if self._task is not None:
            self._server.should_exit = True
            await self._task
            self._task = None
