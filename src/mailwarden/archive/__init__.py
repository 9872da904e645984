"""The archive: every message of every folder, stored once, never deleted because the server lost it."""
