"""The HTTP face of mailwarden: the REST API (and, later, the web UI)."""
