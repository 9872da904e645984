"""Stand-ins for the outside world of a diagnosis, all on loopback: a DNS server (dnslib) with a resolver
and an "authoritative" server, an RDAP server, scripted provider responders replaying documented answers,
a TLS-intercepting proxy, Dovecot with bad certificates or without TLS, and a network namespace with
iptables rules for genuine DROP/REJECT behaviour. The DNS stand-in lives in ``lab.dns`` (the CLI tests use it
too)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lab.certs import LabCerts
from lab.dovecot import Dovecot

# --- HTTP (RDAP, status pages) -----------------------------------------------------------------------


class JsonServer:
    """Serves ``routes`` (path -> JSON value) on 127.0.0.1; anything else is 404."""

    def __init__(self, routes: dict[str, object]) -> None:
        self.routes = routes
        routes_ref = routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path not in routes_ref:
                    self.send_error(404)
                    return
                body = json.dumps(routes_ref[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rdap+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> JsonServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def rdap_domain(name: str, statuses: list[str], expires: dt.datetime) -> dict[str, object]:
    """An RDAP domain object as RFC 9083 shapes it (the fields registries actually fill)."""
    return {
        "objectClassName": "domain",
        "ldhName": name,
        "status": statuses,
        "events": [
            {"eventAction": "registration", "eventDate": "2015-03-01T00:00:00Z"},
            {"eventAction": "expiration", "eventDate": expires.strftime("%Y-%m-%dT%H:%M:%SZ")},
        ],
        "entities": [
            {
                "objectClassName": "entity",
                "roles": ["registrar"],
                "vcardArray": ["vcard", [["fn", {}, "text", "Lab Registrar"]]],
            }
        ],
    }


_STAMP = "2026-11-27T06:40:00.000Z"


def _component(n: int, name: str, status: str) -> dict[str, object]:
    return {
        "id": f"c{n}",
        "name": name,
        "status": status,
        "created_at": "2020-01-01T00:00:00.000Z",
        "updated_at": _STAMP,
        "position": n,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": "lab0page",
        "group": False,
        "only_show_if_degraded": False,
    }


def _incident(n: int, name: str, impact: str, affected: list[dict[str, object]]) -> dict[str, object]:
    update = {
        "id": f"u{n}",
        "status": "investigating",
        "body": f"We are investigating {name}.",
        "incident_id": f"i{n}",
        "created_at": _STAMP,
        "display_at": _STAMP,
        "affected_components": [
            {"code": c["id"], "name": c["name"], "old_status": "operational", "new_status": c["status"]}
            for c in affected
        ],
    }
    return {
        "id": f"i{n}",
        "name": name,
        "status": "investigating",
        "impact": impact,
        "created_at": _STAMP,
        "updated_at": _STAMP,
        "started_at": _STAMP,
        "monitoring_at": None,
        "resolved_at": None,
        "shortlink": "https://stspg.io/lab",
        "page_id": "lab0page",
        "incident_updates": [update],
        "components": affected,
    }


_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}


def statuspage_summary(
    components: dict[str, str], incidents: list[tuple[str, str, list[str]]]
) -> dict[str, object]:
    """A Statuspage ``/api/v2/summary.json`` (page, status, components, incidents, scheduled_maintenances),
    with the field names and values Atlassian documents. ``components``: name -> status;
    ``incidents``: (name, impact, names of the components it affects), all unresolved."""
    parts = [_component(n, name, status) for n, (name, status) in enumerate(components.items())]
    by_name = {c["name"]: c for c in parts}
    open_incidents = [
        _incident(n, name, impact, [by_name[c] for c in affected])
        for n, (name, impact, affected) in enumerate(incidents)
    ]
    worst = max([impact for _, impact, _ in incidents] or ["none"], key=list(_DESCRIPTIONS).index)
    return {
        "page": {
            "id": "lab0page",
            "name": "Lab Mail",
            "url": "https://status.lab.test",
            "time_zone": "Etc/UTC",
            "updated_at": _STAMP,
        },
        "status": {"indicator": worst, "description": _DESCRIPTIONS[worst]},
        "components": parts,
        "incidents": open_incidents,
        "scheduled_maintenances": [],
    }


def google_incident(product: str, desc: str, *, impact: str, severity: str, ended: bool) -> dict[str, object]:
    """One entry of Google Workspace's ``incidents.json`` (the Status Dashboard's feed)."""
    products = [{"title": product, "id": f"p{zlib.crc32(product.encode())}"}]
    return {
        "id": f"lab{zlib.crc32((product + desc).encode())}",
        "number": "1234567890",
        "begin": "2026-11-27T06:00:00+00:00",
        "created": "2026-11-27T06:05:00+00:00",
        "end": "2026-11-20T12:00:00+00:00" if ended else None,
        "modified": "2026-11-27T06:30:00+00:00",
        "external_desc": desc,
        "severity": severity,
        "status_impact": impact,
        "service_key": product.lower().replace(" ", "-"),
        "service_name": product,
        "uri": "incidents/lab",
        "affected_products": products,
        "currently_affected_products": [] if ended else products,
        "most_recent_update": {
            "created": "2026-11-27T06:30:00+00:00",
            "when": "2026-11-27T06:30:00+00:00",
            "text": f"**Summary**\n{desc}",
            "status": "AVAILABLE" if ended else impact,
        },
    }


class Blackhole:
    """A TCP port that completes the handshake (the kernel's backlog) and never says a word: a status page
    behind a proxy that hangs."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/api/v2/summary.json"

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()


class WhoisServer:
    """RFC 3912 on 127.0.0.1: reads one query line, writes the answer for that name (or CNNIC's "No matching
    record."), then closes the connection. The answer goes out in two parts with a pause between them, as
    long answers do on real networks, so a client that stops at the first read is caught."""

    def __init__(self, answers: dict[str, str]) -> None:
        outer = self
        self.queries: list[str] = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                query = self.rfile.readline().decode("idna").strip()
                outer.queries.append(query)
                body = answers.get(query.lower(), "No matching record.\r\n").encode()
                half = len(body) // 2
                self.wfile.write(body[:half])
                self.wfile.flush()
                time.sleep(0.15)
                self.wfile.write(body[half:])

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WhoisServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def cnnic_whois(domain: str, statuses: list[str], registered: dt.datetime, expires: dt.datetime) -> str:
    """An answer in whois.cnnic.cn's layout: ``Key: value`` lines, times in Beijing time without a zone,
    the registrar and registrant in Chinese."""
    lines = [
        f"Domain Name: {domain}",
        "ROID: 20150301s10001s73590281-cn",
        *(f"Domain Status: {s}" for s in statuses),
        "Registrant: 某某贸易有限公司",
        "Registrant Contact Email: admin@163.com",
        "Sponsoring Registrar: 阿里云计算有限公司（万网）",
        "Name Server: dns9.hichina.com",
        "Name Server: dns10.hichina.com",
        f"Registration Time: {registered:%Y-%m-%d %H:%M:%S}",
        f"Expiration Time: {expires:%Y-%m-%d %H:%M:%S}",
        "DNSSEC: unsigned",
    ]
    return "\r\n".join(lines) + "\r\n"


# --- scripted provider responders ---------------------------------------------------------------------


class Responder:
    """A line-based server on 127.0.0.1 (implicit TLS with the lab certificate) that plays a script:
    ``handler(line) -> bytes | None`` answers each client line; ``greeting`` goes first."""

    def __init__(self, certs: LabCerts, greeting: bytes, handler: Callable[[bytes], bytes | None]) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(certs.cert_file), str(certs.key_file))
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    conn = context.wrap_socket(self.request, server_side=True)
                except (OSError, ssl.SSLError):
                    return
                reader, writer = conn.makefile("rb"), conn.makefile("wb")
                try:
                    writer.write(greeting)
                    writer.flush()
                    while line := reader.readline():
                        outer.lines.append(line)
                        answer = handler(line)
                        if answer is None:
                            break
                        writer.write(answer)
                        writer.flush()
                except (OSError, ssl.SSLError):
                    return
                finally:
                    for closable in (reader, writer, conn):
                        with contextlib.suppress(OSError):
                            closable.close()

        self.lines: list[bytes] = []
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Responder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def imap_script(
    refusal: bytes, *, capabilities: bytes = b"IMAP4rev1 AUTH=PLAIN", examine: bytes | None = None
):  # type: ignore[no-untyped-def]
    """An IMAP server that refuses the login with ``refusal`` (the tagged answer after the tag), or lets
    it in and answers EXAMINE with ``examine``."""

    def handler(line: bytes) -> bytes | None:
        tag, _, rest = line.partition(b" ")
        command = rest.split(b" ", 1)[0].strip().upper()
        if command == b"CAPABILITY":
            return b"* CAPABILITY " + capabilities + b"\r\n" + tag + b" OK done\r\n"
        if command == b"ID":
            return b'* ID ("name" "lab")\r\n' + tag + b" OK ID completed\r\n"
        if command in (b"LOGIN", b"AUTHENTICATE"):
            if command == b"AUTHENTICATE" and b" " not in rest.strip():
                return b"+ \r\n"
            return tag + b" " + refusal + b"\r\n"
        if not tag or (tag.startswith(b"AG") and b" " not in line.strip()):  # the SASL response line
            return b""  # never happens with SASL-IR
        if command == b"EXAMINE":
            return tag + b" " + (examine or b"OK [READ-ONLY] done") + b"\r\n"
        if command == b"LOGOUT":
            return b"* BYE bye\r\n" + tag + b" OK\r\n"
        return tag + b" BAD unknown\r\n"

    return handler


def smtp_script(refusal: bytes):  # type: ignore[no-untyped-def]
    def handler(line: bytes) -> bytes | None:
        word = line.split(b" ", 1)[0].strip().upper()
        if word == b"EHLO":
            return b"250-lab.test\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n"
        if word == b"AUTH":
            return refusal + b"\r\n"
        if word == b"QUIT":
            return b"221 2.0.0 bye\r\n"
        return b"502 5.5.2 unknown\r\n"

    return handler


# --- certificates and Dovecot variants -------------------------------------------------------------------


def _write_leaf(directory: Path, name: str, cert_pem: bytes, key_pem: bytes, base: LabCerts) -> LabCerts:
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    key_file.chmod(0o600)
    return replace(base, cert_file=cert_file, key_file=key_file)


def expired_certs(base: LabCerts, directory: Path) -> LabCerts:
    now = dt.datetime.now(dt.UTC)
    leaf = base.ca.issue_cert(
        "127.0.0.1",
        "localhost",
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=3),
    )
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    return _write_leaf(directory, "expired", chain, leaf.private_key_pem.bytes(), base)


def wrong_name_certs(base: LabCerts, directory: Path) -> LabCerts:
    leaf = base.ca.issue_cert("mail.other.example")
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    return _write_leaf(directory, "wrongname", chain, leaf.private_key_pem.bytes(), base)


def self_signed_certs(base: LabCerts, directory: Path) -> LabCerts:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _write_leaf(directory, "selfsigned", cert.public_bytes(serialization.Encoding.PEM), key_pem, base)


def proxy_ca() -> trustme.CA:
    return trustme.CA(organization_name="Corp Firewall SSL Inspection CA")


class PlaintextDovecot(Dovecot):
    """Dovecot with ``ssl = no``: every listener speaks plaintext, STARTTLS is not offered."""

    def _write_config(self) -> None:
        super()._write_config()
        text = self.config_file.read_text()
        text = text.replace("ssl = yes\nssl_cert", "ssl = no\n#ssl_cert").replace("\nssl_key", "\n#ssl_key")
        text = text.replace("    ssl = yes\n", "")
        # listeners named imaps/pop3s imply TLS and are skipped without it: give them plain names
        text = text.replace("inet_listener imaps", "inet_listener imap2").replace(
            "inet_listener pop3s", "inet_listener pop2"
        )
        self.config_file.write_text(text)


@contextlib.contextmanager
def dovecot_with(root: Path, certs: LabCerts, cls: type[Dovecot] = Dovecot) -> Iterator[Dovecot]:
    server = cls(root, certs)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- TLS-intercepting proxy ------------------------------------------------------------------------------


class InterceptProxy:
    """Terminates TLS with a certificate from another CA (as a firewall's TLS inspection does) and relays
    to ``upstream`` over TLS."""

    def __init__(self, ca: trustme.CA, upstream_port: int, directory: Path) -> None:
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        directory.mkdir(parents=True, exist_ok=True)
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(self.server_context)
        self.client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client_context.check_hostname = False
        self.client_context.verify_mode = ssl.CERT_NONE
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            inner = self.server_context.wrap_socket(client, server_side=True)
            outer = self.client_context.wrap_socket(socket.create_connection(self.upstream))
        except (OSError, ssl.SSLError):
            client.close()
            return

        def pipe(a: ssl.SSLSocket, b: ssl.SSLSocket) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                # Wake the other direction with a shutdown, never a close: closing a socket another thread
                # is reading frees its descriptor number while OpenSSL still holds it, and the next file
                # the process opens under that number (once, a worker pool's result pipe) gets read.
                with contextlib.suppress(OSError):
                    b.shutdown(socket.SHUT_RDWR)

        other = threading.Thread(target=pipe, args=(outer, inner), daemon=True)
        other.start()
        pipe(inner, outer)
        other.join()
        for s in (inner, outer):  # both directions are done: nobody reads these any more
            with contextlib.suppress(OSError):
                s.close()

    def __enter__(self) -> InterceptProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.listener.close()
        self.thread.join(5)


# --- network namespace ---------------------------------------------------------------------------


@contextlib.contextmanager
def netns(rules: list[list[str]]) -> Iterator[str]:
    """A fresh network namespace with ``lo`` up and the given iptables rules; removed afterwards."""
    name = f"mwdiag{os.getpid()}{threading.get_ident() % 1000}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        for rule in rules:
            subprocess.run(["ip", "netns", "exec", name, "iptables", *rule], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)
