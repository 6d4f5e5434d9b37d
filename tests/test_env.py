"""AwsEnv: isolation on entry, exact restoration on exit."""

from __future__ import annotations

import os
import string
from pathlib import Path

import boto3
import botocore.session
import pytest
from _env_helpers import changed_names
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_bedrock_creds import AwsEnv, AwsFiles, Ledger


@pytest.fixture
def real_home_with_sentinel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A developer's machine: real-looking ~/.aws with keys, ambient AWS variables."""
    home = tmp_path / "realhome"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIASENTINELSENTINEL\naws_secret_access_key = sentinelsecret\n"
    )
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-3\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    monkeypatch.setenv("AWS_PROFILE", "default")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAAMBIENTAMBIENT00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "ambient-secret")
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/ambient.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/ambient.pem")
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/ambient.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    return home


def test_sentinel_home_and_ambient_variables_do_not_reach_the_test(real_home_with_sentinel: Path) -> None:
    # Outside: botocore really does see the sentinel setup (the test can fail).
    outside = botocore.session.Session().get_credentials()
    assert outside is not None and outside.access_key == "AKIAAMBIENTAMBIENT00"
    before = dict(os.environ)
    with AwsEnv() as env:
        for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CA_BUNDLE",
                     "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "HTTPS_PROXY", "http_proxy"):
            assert name not in os.environ, name
        assert Path(os.environ["HOME"]) == env.home != real_home_with_sentinel
        assert list((env.home / ".aws").iterdir()) == []  # an empty ~/.aws, made 0700
        assert botocore.session.Session().get_credentials() is None
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert changed_names(before) == []


def test_restored_when_the_block_raises() -> None:
    before = dict(os.environ)
    env = AwsEnv()

    def failing_test() -> None:
        with env:
            env.set(AWS_PROFILE="x", NEW_VAR="")
            homes.append(env.home)
            _ = 1 / 0

    homes: list[Path] = []
    with pytest.raises(ZeroDivisionError):
        failing_test()
    home = homes[0]
    assert changed_names(before) == []
    assert not home.exists(), "the temporary HOME is removed"


def test_empty_strings_are_values_and_are_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "")
    monkeypatch.setenv("AWS_REGION", "")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    with AwsEnv(region=None) as env:
        assert "AWS_PROFILE" not in os.environ and "AWS_REGION" not in os.environ
        env.set(AWS_ACCESS_KEY_ID="")
        assert os.environ["AWS_ACCESS_KEY_ID"] == ""
    assert os.environ["AWS_PROFILE"] == "" and os.environ["AWS_REGION"] == ""
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_boto3_default_session_does_not_leak_between_tests() -> None:
    # The trap: boto3's module-level default session caches the keys of an earlier test.
    with AwsEnv() as env:
        first = env.static_keys()
        assert boto3.client("sts").meta.region_name == "us-east-1"  # creates DEFAULT_SESSION
        assert boto3.DEFAULT_SESSION is not None
        assert boto3.DEFAULT_SESSION.get_credentials().access_key == first.access_key_id
    with AwsEnv():
        assert boto3.DEFAULT_SESSION is None
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION.get_credentials() is None


def test_static_keys_bearer_and_profile_are_issued_by_the_ledger() -> None:
    ledger = Ledger()
    with AwsEnv(ledger=ledger) as env:
        creds = env.static_keys(session_token=True)
        assert os.environ["AWS_ACCESS_KEY_ID"] == creds.access_key_id
        assert os.environ["AWS_SESSION_TOKEN"] == creds.session_token
        assert creds.access_key_id.startswith("ASIA") and len(creds.access_key_id) == 20
        assert ledger.source_of_key(creds.access_key_id) == "env"
        token = env.bearer_token()
        assert token.startswith("ABSK") and os.environ["AWS_BEARER_TOKEN_BEDROCK"] == token
        assert ledger.source_of_token(token) == "bearer:env"
        assert env.bearer_token("my-own-key") == "my-own-key"
        assert ledger.source_of_token("my-own-key") == "bearer:env"
        env.profile("dev")
        assert os.environ["AWS_PROFILE"] == "dev"
        plain = env.static_keys()
        assert plain.access_key_id.startswith("AKIA") and "AWS_SESSION_TOKEN" not in os.environ


def test_repr_and_snapshot_redact_secrets() -> None:
    with AwsEnv() as env:
        creds = env.static_keys(session_token=True)
        token = env.bearer_token()
        text = repr(env) + str(env.snapshot()) + repr(creds)
        for secret in (creds.secret_access_key, creds.session_token, token):
            assert secret is not None and secret not in text
        assert creds.access_key_id in text


def test_bad_input_is_rejected_clearly() -> None:
    with AwsEnv() as env:
        with pytest.raises(TypeError, match=r"aws_env.set\(AWS_MAX_ATTEMPTS=...\) needs a str"):
            env.set(AWS_MAX_ATTEMPTS=3)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="non-empty profile"):
            env.profile("  ")
    with pytest.raises(RuntimeError, match="not active"):
        env.set(AWS_PROFILE="x")
    active = AwsEnv()
    with active, pytest.raises(RuntimeError, match="already active"):
        active.start()


def test_attach_points_seams_at_a_fake() -> None:
    class FakeImdsLike:
        def env(self) -> dict[str, str]:
            return {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"}

    with AwsEnv() as env:
        env.attach(FakeImdsLike())
        assert "AWS_EC2_METADATA_DISABLED" not in os.environ
        assert os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == "http://127.0.0.1:1"


names = st.one_of(
    st.sampled_from(["AWS_PROFILE", "AWS_REGION", "AWS_CA_BUNDLE", "HOME", "SSL_CERT_FILE", "BOTO_CONFIG",
                     "AWS_ACCESS_KEY_ID", "AWS_BEARER_TOKEN_BEDROCK", "USERPROFILE"]),
    st.text(alphabet=string.ascii_uppercase + "_", min_size=1, max_size=12).map(lambda s: "AWS_" + s),
    st.text(alphabet=string.ascii_uppercase + "_", min_size=1, max_size=12).map(lambda s: "PBC_TEST_" + s),
)
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dictionaries(names, values, max_size=8),
    changes=st.dictionaries(names, values, max_size=6),
    removals=st.lists(names, max_size=4),
    direct=st.dictionaries(names, values, max_size=4),
    patched=st.dictionaries(names, values, max_size=3),
    through_monkeypatch=st.booleans(),
    fail=st.booleans(),
)
def test_environment_restored_exactly_over_random_environments(
    monkeypatch: pytest.MonkeyPatch, start: dict[str, str], changes: dict[str, str], removals: list[str],
    direct: dict[str, str], patched: dict[str, str], through_monkeypatch: bool, fail: bool,
) -> None:
    """Restored exactly by ``AwsEnv`` itself, or by the undo of the ``MonkeyPatch`` it was given (as
    the fixture gives the test's): its changes, the patcher's own, and writes behind both their backs."""
    with monkeypatch.context() as m:
        for name, value in start.items():
            m.setenv(name, value)
        before = dict(os.environ)
        patcher = pytest.MonkeyPatch() if through_monkeypatch else None
        try:
            with AwsEnv(patcher=patcher) as env:
                env.set(**changes)
                env.unset(*removals)
                for name, value in patched.items():
                    if patcher is not None:
                        patcher.setenv(name, value)
                for name, value in direct.items():
                    os.environ[name] = value  # as an SDK or the test itself would, behind every back
                os.environ.pop(next(iter(start), "PBC_TEST_NONE"), None)
                AwsFiles(env).credentials("p")
                if fail:
                    raise KeyError("boom")
        except KeyError:
            assert fail
        if patcher is not None:
            patcher.undo()
        assert changed_names(before) == []


def test_a_patcher_needs_monkeypatch_s_setitem() -> None:
    class SetenvOnly:
        def setenv(self, name: str, value: str) -> None: ...

    with pytest.raises(TypeError, match=r"AwsEnv\(patcher=...\) needs an object with MonkeyPatch's setitem"):
        AwsEnv(patcher=SetenvOnly())  # type: ignore[arg-type]


@pytest.mark.parametrize("through_monkeypatch", [False, True])
def test_a_home_that_cannot_be_made_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch,
                                                          through_monkeypatch: bool) -> None:
    from pytest_bedrock_creds import homes
    from pytest_bedrock_creds.ledger import Ledger

    def no_space() -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(homes, "take", no_space)
    ledger = Ledger()
    before = dict(os.environ)
    patcher = pytest.MonkeyPatch() if through_monkeypatch else None
    env = AwsEnv(ledger=ledger, patcher=patcher)
    with pytest.raises(OSError, match="No space left"):
        env.start()
    if patcher is not None:
        patcher.undo()
    assert not env.active and "open_scopes=0" in repr(ledger) and changed_names(before) == []
