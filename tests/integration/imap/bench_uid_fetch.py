"""Throughput of the pipelined UID FETCH against a private lab Dovecot (a script; pytest does not run it).

    .venv/bin/python tests/integration/imap/bench_uid_fetch.py --messages 3000 --rtt-ms 0 20

Delivers ``--messages`` messages (mostly 2-62 kB, every 50th 0.2-1.4 MB; 48 kB on average), then
fetches the whole INBOX (BODY.PEEK[] and the usual items) with several pipeline depths, directly and through
a loopback proxy that adds ``--rtt-ms`` of round-trip delay, and prints messages/s and MB/s. Spooled bodies
are deleted as they arrive, as the archive would move them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2]))  # tests/, for the lab

from imap_lab import deliver_all, make_message

from mailwarden.imap import IMAPClient

from lab._proc import RunDir
from lab.certs import make_certs
from lab.dovecot import Dovecot


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Forward bytes, each chunk ``delay`` seconds late but in order (a long, fat pipe)."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def later() -> None:
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(later())
    while data := await reader.read(256 * 1024):
        queue.put_nowait((time.monotonic() + delay, data))
    queue.put_nowait((time.monotonic() + delay, b""))
    with contextlib.suppress(ConnectionError):
        await sender


@contextlib.asynccontextmanager
async def latency_proxy(host: str, port: int, rtt: float) -> AsyncIterator[int]:
    """A loopback port that forwards to ``host:port`` with ``rtt`` seconds of added round-trip time."""
    handlers: set[asyncio.Task[None]] = set()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        server_r, server_w = await asyncio.open_connection(host, port)
        with contextlib.suppress(ConnectionError):
            await asyncio.gather(_pipe(client_r, server_w, rtt / 2), _pipe(server_r, client_w, rtt / 2))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        if handlers:  # the last session's delayed goodbye is still on its way
            await asyncio.wait(handlers, timeout=5)


async def fetch_all(dovecot: Any, user: Any, port: int, depth: int) -> tuple[int, int, float]:
    client = await IMAPClient.open(dovecot.host, port, ca_file=dovecot.ca_file, timeout=60)
    async with client:
        await client.authenticate(user.address, user.password)
        await client.examine("INBOX")
        uids = await client.uid_search()
        started = time.perf_counter()
        count = size = 0
        async for result in client.uid_fetch(uids, depth=depth):
            count += 1
            size += result.size or 0
            result.discard()
        return count, size, time.perf_counter() - started


async def bench(dovecot: Any, user: Any, rtts: list[float], depths: list[int]) -> None:
    for rtt in rtts:
        async with latency_proxy(dovecot.host, dovecot.imaps_port, rtt / 1000) as proxy_port:
            port = proxy_port if rtt else dovecot.imaps_port
            for depth in depths:
                count, size, seconds = await fetch_all(dovecot, user, port, depth)
                print(
                    f"rtt {rtt:5.1f} ms  depth {depth}  {count} messages  {size / 1e6:7.1f} MB  "
                    f"{seconds:6.2f} s  {count / seconds:8.0f} msg/s  {size / 1e6 / seconds:7.1f} MB/s"
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0.0, 20.0])
    parser.add_argument("--depth", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    run = RunDir.create()
    try:
        with Dovecot(run.root / "dovecot", make_certs(run.root)) as dovecot:
            user = dovecot.add_user()
            sizes = [
                2000 + (n * 7919) % 60_000 if n % 50 else 200_000 + n * 400 for n in range(args.messages)
            ]
            deliver_all(dovecot, user.address, [make_message(n, size) for n, size in enumerate(sizes)])
            asyncio.run(bench(dovecot, user, args.rtt_ms, args.depth))
    finally:
        run.close()


if __name__ == "__main__":
    main()
