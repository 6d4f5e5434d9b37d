"""sdk_reuse makes new botocore sessions and the experimental client's set-up cheap, changing nothing they do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("botocore")

import botocore
import botocore.hooks
import botocore.session

from pytest_bedrock_creds.scenarios.reuse import sdk_reuse

pytestmark = pytest.mark.usefixtures("aws_env")  # sessions read the environment: a private, empty one


def _handlers(session: botocore.session.Session) -> dict[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    """Every node of the session's handler trie: its path -> (first, middle, last) handlers, in order."""
    found: dict[tuple[str, ...], tuple[tuple[Any, ...], ...]] = {}

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        if node["values"] is not None:
            found[path] = tuple(tuple(part) for part in (node["values"].first, node["values"].middle,
                                                          node["values"].last))
        for name, child in node["children"].items():
            walk(child, (*path, name))

    walk(session._original_handler._handlers._root, ())  # type: ignore[attr-defined]
    return found


def _ids(session: botocore.session.Session) -> dict[str, Any]:
    return dict(session._original_handler._unique_id_handlers)  # type: ignore[attr-defined]


def test_a_session_made_inside_has_the_handlers_of_one_made_outside() -> None:
    outside = botocore.session.Session()
    cache: dict[str, Any] = {}
    with sdk_reuse(cache):
        first = botocore.session.Session()
        second = botocore.session.Session()  # the second meets the shared caches filled
    assert _handlers(first) == _handlers(outside)
    assert _handlers(second) == _handlers(outside)
    assert _ids(second) == _ids(outside)
    assert len(_handlers(outside)) > 100  # the comparison covered botocore's built-in handlers


_KEYS = {"region_name": "us-east-1", "aws_access_key_id": "AKIDREUSE", "aws_secret_access_key": "reuse-secret"}


def test_a_client_made_inside_emits_its_events_under_the_same_names() -> None:
    with sdk_reuse({}):
        inside = botocore.session.Session().create_client("bedrock-runtime", **_KEYS)
    outside = botocore.session.Session().create_client("bedrock-runtime", **_KEYS)
    for name in ("before-call.bedrock-runtime.Converse", "needs-retry.bedrock-runtime.InvokeModel",
                 "before-sign.bedrock-runtime.Converse", "after-call.bedrock-runtime.Converse"):
        assert inside.meta.events._alias_event_name(name) == outside.meta.events._alias_event_name(name)
    assert inside.meta.service_model.operation_names == outside.meta.service_model.operation_names


def test_sessions_share_the_loader_of_their_data_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache: dict[str, Any] = {}
    with sdk_reuse(cache):
        one = botocore.session.Session().get_component("data_loader")
        two = botocore.session.Session().get_component("data_loader")
        monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
        elsewhere = botocore.session.Session().get_component("data_loader")
    assert one is two
    assert elsewhere is not one
    assert str(tmp_path) in elsewhere.search_paths  # the session's own data_path, as botocore reads it
    assert str(tmp_path) not in one.search_paths


def test_everything_is_undone_on_exit() -> None:
    alias = botocore.hooks.EventAliaser.__dict__["_alias_event_name"]
    kwargs = botocore.hooks.accepts_kwargs
    initializers = list(botocore._INITIALIZERS)  # type: ignore[attr-defined]
    def failing_item() -> None:
        with sdk_reuse({}):
            assert botocore.hooks.accepts_kwargs is not kwargs
            raise RuntimeError("the item failed")

    with pytest.raises(RuntimeError):
        failing_item()
    assert botocore.hooks.EventAliaser.__dict__["_alias_event_name"] is alias
    assert botocore.hooks.accepts_kwargs is kwargs
    assert initializers == botocore._INITIALIZERS  # type: ignore[attr-defined]
    assert botocore.session.Session().get_component("data_loader") is not botocore.session.Session().get_component(
        "data_loader")


def test_the_signature_check_still_refuses_a_handler_without_kwargs() -> None:
    def no_kwargs(request: Any) -> None: ...

    with sdk_reuse({}):
        session = botocore.session.Session()
        with pytest.raises(ValueError):
            session.register("before-call", no_kwargs)
        with pytest.raises(ValueError):  # remembered, still refused
            session.register("before-call", no_kwargs)


def test_an_aliaser_with_its_own_aliases_keeps_its_own_cache() -> None:
    with sdk_reuse({}):
        custom = botocore.hooks.EventAliaser(botocore.hooks.HierarchicalEmitter(), {"runtime.sagemaker": "sm"})
        assert custom._alias_event_name("before-call.runtime.sagemaker.X") == "before-call.sm.X"
        default = botocore.hooks.EventAliaser(botocore.hooks.HierarchicalEmitter())
        assert default._alias_event_name("before-call.runtime.sagemaker.X") != "before-call.sm.X"


def test_entry_points_are_those_of_the_first_call_with_the_same_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata
    import sys

    group = "pytest11"  # this plugin's own entry point is in it
    outside = importlib.metadata.entry_points(group=group)
    calls: list[dict[str, Any]] = []
    original = importlib.metadata.entry_points

    def counting(**params: Any) -> Any:
        calls.append(params)
        return original(**params)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    with sdk_reuse({}):
        first = importlib.metadata.entry_points(group=group)
        second = importlib.metadata.entry_points(group=group)
        monkeypatch.setattr(sys, "path", [*sys.path, "/nonexistent-bedrock-creds"])
        third = importlib.metadata.entry_points(group=group)
    assert importlib.metadata.entry_points is counting  # undone
    assert len(calls) == 2  # the second call was remembered; a changed sys.path asks again
    assert list(first) == list(second) == list(third) == list(outside)
    assert any(point.name == "bedrock_creds" for point in first)
