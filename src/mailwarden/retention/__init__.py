"""Retention policies, legal holds and explicit, reversible purges of archived messages (decision 0010)."""
