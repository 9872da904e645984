"""The process runtime: the background parts of ``mailwarden worker`` and ``mailwarden serve``."""
