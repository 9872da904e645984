"""The team inbox: conversations, threading, contacts, assignment, SLA clocks and replies (issue 6)."""
