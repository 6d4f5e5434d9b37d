"""The process-environment snapshot behind ``AwsEnv``: restored exactly, through either path."""

from __future__ import annotations

import os
import string
import sys

import pytest
from _env_helpers import changed_names
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_bedrock_creds import environ
from pytest_bedrock_creds.environ import EnvironSnapshot

names = st.text(alphabet=string.ascii_uppercase + "_", min_size=1, max_size=10).map(lambda s: "PBC_ENV_" + s)
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dictionaries(names, values, max_size=6), changes=st.dictionaries(names, values, max_size=6),
       removals=st.lists(names, max_size=4), encoded=st.booleans())
def test_restored_exactly(monkeypatch: pytest.MonkeyPatch, start: dict[str, str], changes: dict[str, str],
                          removals: list[str], encoded: bool) -> None:
    with monkeypatch.context() as m:
        for name, value in start.items():
            m.setenv(name, value)
        before = dict(os.environ)
        snapshot = EnvironSnapshot(encoded=encoded)
        os.environ.update(changes)
        for name in removals:
            os.environ.pop(name, None)
        snapshot.restore()
        assert changed_names(before) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX environments hold bytes")
@pytest.mark.parametrize("encoded", [True, False])
def test_a_value_that_is_not_utf8_comes_back_as_the_same_bytes(monkeypatch: pytest.MonkeyPatch,
                                                               encoded: bool) -> None:
    monkeypatch.setitem(os.environb, b"PBC_ENV_BYTES", b"\xff\xfe latin-1 \xe9")
    snapshot = EnvironSnapshot(encoded=encoded)
    os.environ["PBC_ENV_BYTES"] = "changed"
    snapshot.restore()
    assert os.environb[b"PBC_ENV_BYTES"] == b"\xff\xfe latin-1 \xe9"


def test_without_the_encoded_mapping_at_restore_it_goes_through_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBC_ENV_KEPT", "before")
    before = dict(os.environ)
    snapshot = EnvironSnapshot()
    os.environ["PBC_ENV_KEPT"] = "after"
    os.environ["PBC_ENV_ADDED"] = "added"
    monkeypatch.setattr(environ, "_encoded", lambda: None)
    snapshot.restore()
    assert changed_names(before) == []


@pytest.mark.skipif(sys.platform == "win32" or sys.implementation.name != "cpython", reason="CPython on POSIX")
def test_on_cpython_the_snapshot_copies_the_encoded_mapping() -> None:
    assert environ._encoded() is os.environ._data  # type: ignore[attr-defined]


@pytest.mark.parametrize("encoded", [True, False])
def test_names_set_by_prefix_or_name(monkeypatch: pytest.MonkeyPatch, encoded: bool) -> None:
    if not encoded:
        monkeypatch.setattr(environ, "_encoded", lambda: None)
    for name in ("PBC_ENV_ONE", "PBC_ENV_TWO", "PBC_OTHER", "PBC_EXACT"):
        monkeypatch.setenv(name, "")
    monkeypatch.delenv("PBC_ENV_UNSET", raising=False)
    found = environ.names_set("PBC_ENV_", frozenset({"PBC_EXACT", "PBC_ENV_UNSET", "PBC_NOT_SET"}))
    assert sorted(found) == ["PBC_ENV_ONE", "PBC_ENV_TWO", "PBC_EXACT"]
