"""Every new workspace id is one the store accepts (a "-" or "_" first is refused there)."""

from __future__ import annotations

import secrets

from cnnviz.store import workspaces
from cnnviz.store.blobs import check_workspace_id


def test_an_id_drawn_with_a_leading_dash_or_underscore_is_drawn_again(monkeypatch):
    draws = iter(["_Ed_3lVlViTqz7sHf4zBmA", "-abc", "Ok_id-1"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _bytes: next(draws))
    assert workspaces.new_workspace_id() == "Ok_id-1"


def test_many_new_ids_all_pass_the_store_s_check():
    for _ in range(2000):
        identifier = workspaces.new_workspace_id()
        assert check_workspace_id(identifier) == identifier
