"""``mailwarden demo``: the whole product on embedded parts — an in-process IMAP server (pymap) and
submission server (aiosmtpd) seeded with a trade team's mail, SQLite under ``./demo-data``, the API and the
workers, a console alert channel and a scripted tour (decision 0020)."""
