"""Errors cross process boundaries (the archive's worker pool) intact."""

from __future__ import annotations

import pickle

from mailwarden.core.errors import NetworkError, StorageError
from mailwarden.imap.errors import IMAPError


def test_an_error_survives_pickling_with_its_key_params_and_permanence() -> None:
    error = StorageError("error.storage", permanent=True, detail="disk full")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is StorageError
    assert (back.key, back.params, back.permanent) == (error.key, error.params, True)
    assert str(back) == str(error) and back.render("zh-CN") == error.render("zh-CN")


def test_subclasses_with_their_own_signature_survive_pickling() -> None:
    network = NetworkError(host="imap.example.com", port=993, detail="refused")
    back = pickle.loads(pickle.dumps(network))
    assert back.params == network.params and back.render("en") == network.render("en")
    imap = IMAPError(status="NO", code="OVERQUOTA", text="Quota exceeded", command="APPEND")
    again = pickle.loads(pickle.dumps(imap))
    assert type(again) is IMAPError and vars(again) == vars(imap)
