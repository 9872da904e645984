"""Chat and e-mail alerts: Feishu/Lark, DingTalk, WeCom, Slack, Teams, a generic webhook and e-mail.

Capabilities hand plain :class:`~mailwarden.notify.alerts.Alert` values to
:func:`~mailwarden.notify.service.enqueue`; the outbox keeps them, and the
:class:`~mailwarden.notify.worker.Worker` delivers each once per channel, in order, paced to the vendor's
rate limit, with retries and back-off. See docs/decisions/0005 for what "once" can and cannot mean.
"""
