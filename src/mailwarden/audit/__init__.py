"""The audit trail: who did what to the archive, in an append-only hash chain that names its first break.

Generic over chains (``audit`` today; the team inbox will keep its own), so it imports only ``db`` and
``core``. See :mod:`.chain` for the encoding and :mod:`.service` for the API the capabilities call.
"""
