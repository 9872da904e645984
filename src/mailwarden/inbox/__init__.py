"""The team inbox: conversations made from archived mail.

The decisions are plain functions over ``mailwarden.mime.ParsedMessage`` with no database and no network,
so each rule can be read and tested on its own; the tables and the ingest call them (decision 0014).
Modules:

* :mod:`.models`    — conversations, their messages, contacts, companies, bounce links, the ingest cursor
* :mod:`.ingest`    — archived messages to conversations: batches from a cursor, each one transaction;
  :mod:`.prepare` (parsing, before the transaction), :mod:`.place` (one message, in it) and
  :mod:`.lookup` (what a batch needs from the tables, loaded at once)
* :mod:`.service`   — reading conversations: list, show
* collaboration (decision 0018): :mod:`.notes` (internal notes, versions, @mentions → notify;
  :mod:`.mentions` resolves them), :mod:`.tags`, :mod:`.canned` (reply templates), :mod:`.merge` (merge
  and split conversations), :mod:`.contacts` (merge duplicate contacts), :mod:`.collab` (scope and
  locking), tables in :mod:`.models_collab`

* :mod:`.noise`     — person, auto-reply, bounce, read receipt, mailing list or bulk? With the evidence.
* :mod:`.bounces`   — what a bounce says: the original's Message-ID, failed recipients, status codes;
  which message a read receipt reports on
* :mod:`.threading` — which conversation a message belongs to; the headers of our replies
* :mod:`.tokens`    — the conversation token in our replies, signed so nobody can forge one
* :mod:`.subjects`  — subject normalisation for the same-contact suggestion (never an automatic merge)
* :mod:`.parties`   — contacts and companies from the address headers; merge candidates
* :mod:`.domains`   — registrable domains (Public Suffix List), free-mail providers (``data/freemail.txt``)
* :mod:`.country`   — a company's country from its ccTLD or the sender's signature (tables in
  :mod:`.country_data`)
* :mod:`.quoting`   — the text the customer wrote, without the quoted history
* :mod:`.language`  — the language of that text
* :mod:`.hours` (:mod:`.hours_spec`) — business calendars: hours, time zone, holidays and 调休 make-up days
* :mod:`.sla_policy`, :mod:`.sla_clock`, :mod:`.sla_state` — SLA targets, the clock as a pure function of a
  conversation's history, and its due-soon/breach timers (decision 0013)
* :mod:`.availability` — who can take a conversation now: round robin and least loaded

docs/decisions/0012-inbox-threading-and-parties.md says why the rules are what they are.
"""
