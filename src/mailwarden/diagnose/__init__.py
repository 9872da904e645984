"""Diagnose "can't log in / can't connect": probes (address, DNS, TCP, TLS, IMAP, SMTP, RDAP, status),
rules from evidence to findings, the provider catalogue, and the report. See docs/diagnose.md."""

from mailwarden.diagnose.findings import CODES, Finding
from mailwarden.diagnose.runner import Request
from mailwarden.diagnose.service import SCHEMA, Diagnosis, diagnose

__all__ = ["CODES", "SCHEMA", "Diagnosis", "Finding", "Request", "diagnose"]
