"""People: the team's agents (salespeople, leads), their e-mail, time zone and chat identities.

Roles, mailbox permissions and offboarding come later (ARCHITECTURE.md); the agents come first because
alerts must @mention them (issue 7, decision 0005).
"""
