"""Precedence cases: one environment each, the reference outcome, and botocore's where it differs.

``expect`` is ``"<scheme> <source>"`` or ``"error: <reference words> | <botocore words>"``.
A case with ``divergence`` names a row of the README's "Known SDK divergences" table and
gives what botocore does instead (``botocore``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_bedrock_creds import AwsEnv, AwsFiles
from pytest_bedrock_creds.chain import ServiceSettings


class Setup:
    """What a case may do to the environment, the files and the client settings."""

    def __init__(self, env: AwsEnv, files: AwsFiles) -> None:
        self.env, self.files = env, files
        self.settings_kwargs: dict[str, Any] = {}

    def env_keys(self, temporary: bool = False) -> None:
        self.env.static_keys(session_token=temporary)

    def set(self, **variables: str) -> None:
        self.env.set(**variables)

    def bearer(self, value: str | None = None) -> None:
        self.env.bearer_token(value)

    def creds(self, profile: str = "default", **keys: str) -> None:
        self.files.credentials(profile, **keys)

    def config_creds(self, profile: str = "default") -> None:
        self.files.config_credentials(profile)

    def config(self, profile: str = "default", **settings: str) -> None:
        self.files.config(profile, **settings)

    def raw(self, kind: str, text: str) -> None:
        self.files.write_raw(kind, text)  # type: ignore[arg-type]

    def record(self, source: str, keys: tuple[str, str]) -> None:
        """Attribute keys written with ``raw`` to their source."""
        self.env.ledger.record_credentials(source, *keys)

    def static(self, session_token: bool = False) -> None:
        issued = self.env.ledger.issue_credentials("static", temporary=session_token)
        self.settings_kwargs.update(access_key_id=issued.access_key_id, secret_access_key=issued.secret_access_key,
                                    session_token=issued.session_token)

    def settings(self, **kwargs: str) -> None:
        self.settings_kwargs.update(kwargs)

    def settings_bearer(self) -> None:
        self.settings_kwargs["bearer_token"] = self.env.ledger.issue_token("bearer:settings").token

    def service_settings(self) -> ServiceSettings:
        return ServiceSettings(**self.settings_kwargs)


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[Setup], object]
    expect: str
    operation: str = "Converse"
    divergence: str | None = None
    botocore: str | None = None
    doc: str = field(default="", compare=False)


KEYS_A = ("AKIAPROFILEDEFAULTA1", "a" * 40)
KEYS_B = ("AKIAPROFILEDEFAULTB2", "b" * 40)
NO_CREDS = "error: no credentials | NoCredentialsError"

CASES: tuple[Case, ...] = (
    # -- the documented order, source by source ------------------------------------------
    Case("nothing-configured", lambda s: None, NO_CREDS),
    Case("env-keys", lambda s: s.env_keys(), "sigv4 env"),
    Case("env-keys-with-session-token", lambda s: s.env_keys(temporary=True), "sigv4 env"),
    Case("credentials-file-default", lambda s: s.creds(), "sigv4 shared-credentials-file:default"),
    Case("config-file-default", lambda s: s.config_creds(), "sigv4 config-file:default"),
    Case("bearer-env-only", lambda s: s.bearer(), "bearer bearer:env"),
    Case("static-settings-only", lambda s: s.static(), "sigv4 static"),
    Case("static-settings-with-token", lambda s: s.static(session_token=True), "sigv4 static"),
    # -- bearer beats every credential source ----------------------------------------------
    Case("bearer-beats-env-keys", lambda s: (s.bearer(), s.env_keys()), "bearer bearer:env"),
    Case("bearer-beats-static-settings", lambda s: (s.bearer(), s.static()), "bearer bearer:env"),
    Case("bearer-beats-credentials-file", lambda s: (s.bearer(), s.creds()), "bearer bearer:env"),
    Case("bearer-beats-config-file", lambda s: (s.bearer(), s.config_creds()), "bearer bearer:env"),
    Case("bearer-beats-profile-in-settings",
         lambda s: (s.bearer(), s.creds("p"), s.settings(profile="p")), "bearer bearer:env"),
    Case("bearer-with-aws-profile", lambda s: (s.bearer(), s.creds("dev"), s.set(AWS_PROFILE="dev")),
         "bearer bearer:env"),
    Case("bearer-for-invoke-model", lambda s: (s.bearer(), s.env_keys()), "bearer bearer:env",
         operation="InvokeModel"),
    Case("bearer-for-count-tokens", lambda s: (s.bearer(), s.env_keys()), "bearer bearer:env",
         operation="CountTokens"),
    # -- in-code auth scheme preference ------------------------------------------------------
    Case("settings-preference-sigv4-beats-bearer",
         lambda s: (s.bearer(), s.env_keys(), s.settings(auth_scheme_preference="sigv4")), "sigv4 env"),
    Case("settings-preference-sigv4-no-credentials",
         lambda s: (s.bearer(), s.settings(auth_scheme_preference="sigv4")), NO_CREDS),
    Case("settings-preference-bearer-first",
         lambda s: (s.bearer(), s.env_keys(), s.settings(auth_scheme_preference="httpBearerAuth,sigv4")),
         "bearer bearer:env"),
    Case("settings-preference-sigv4a-unsupported-then-sigv4",
         lambda s: (s.bearer(), s.env_keys(), s.settings(auth_scheme_preference="sigv4a, sigv4")), "sigv4 env"),
    # -- service settings (static keys) -----------------------------------------------------
    Case("static-beats-env", lambda s: (s.static(), s.env_keys()), "sigv4 static"),
    Case("static-beats-credentials-file", lambda s: (s.static(), s.creds()), "sigv4 static"),
    Case("static-partial-is-an-error",
         lambda s: s.settings(access_key_id="AKIAPARTIALPARTIAL00"),
         "error: access_key_id without secret_access_key | PartialCredentialsError"),
    Case("settings-session-token-alone-is-ignored",
         lambda s: (s.settings(session_token="IQoJb3JpZ2luX2VjEdangling"), s.env_keys()), "sigv4 env"),
    # -- environment ----------------------------------------------------------------------------
    Case("env-beats-credentials-file", lambda s: (s.env_keys(), s.creds()), "sigv4 env"),
    Case("env-beats-config-file", lambda s: (s.env_keys(), s.config_creds()), "sigv4 env"),
    Case("env-beats-aws-profile", lambda s: (s.env_keys(), s.creds("dev"), s.set(AWS_PROFILE="dev")),
         "sigv4 env"),
    Case("profile-in-settings-skips-env", lambda s: (s.env_keys(), s.creds("dev"), s.settings(profile="dev")),
         "sigv4 shared-credentials-file:dev"),
    Case("profile-in-settings-config-only", lambda s: (s.env_keys(), s.config_creds("dev"),
                                                       s.settings(profile="dev")), "sigv4 config-file:dev"),
    Case("env-key-id-without-secret",
         lambda s: (s.set(AWS_ACCESS_KEY_ID="AKIAHALFHALFHALFHALF"), s.creds()),
         "error: AWS_ACCESS_KEY_ID set but AWS_SECRET_ACCESS_KEY missing | PartialCredentialsError"),
    Case("env-secret-without-key-id", lambda s: (s.set(AWS_SECRET_ACCESS_KEY="s" * 40), s.creds()),
         "sigv4 shared-credentials-file:default"),
    Case("env-empty-key-id-falls-through",
         lambda s: (s.set(AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="s" * 40), s.creds()),
         "sigv4 shared-credentials-file:default"),
    Case("env-whitespace-keys", lambda s: (s.set(AWS_ACCESS_KEY_ID=" ", AWS_SECRET_ACCESS_KEY=" "), s.creds()),
         "sigv4 shared-credentials-file:default",
         divergence="whitespace-env-keys", botocore="sigv4 <unknown key ' '>"),
    # -- profiles ------------------------------------------------------------------------------
    Case("aws-profile-selects-credentials-section", lambda s: (s.creds(), s.creds("dev"), s.set(AWS_PROFILE="dev")),
         "sigv4 shared-credentials-file:dev"),
    Case("aws-profile-selects-config-section", lambda s: (s.creds(), s.config_creds("dev"),
                                                          s.set(AWS_PROFILE="dev")), "sigv4 config-file:dev"),
    Case("aws-profile-missing", lambda s: (s.creds(), s.set(AWS_PROFILE="nope")),
         "error: profile 'nope' from AWS_PROFILE is not in | ProfileNotFound"),
    Case("aws-profile-missing-even-with-env-keys", lambda s: (s.env_keys(), s.set(AWS_PROFILE="nope")),
         "error: profile 'nope' from AWS_PROFILE | ProfileNotFound"),
    Case("profile-prefix-in-credentials-file-is-not-the-profile",
         lambda s: (s.raw("credentials", f"[profile x]\naws_access_key_id = {KEYS_A[0]}\n"
                                         f"aws_secret_access_key = {KEYS_A[1]}\n"), s.set(AWS_PROFILE="x")),
         "error: profile 'x' from AWS_PROFILE | ProfileNotFound"),
    Case("unprefixed-section-in-config-is-not-a-profile",
         lambda s: (s.raw("config", f"[x]\naws_access_key_id = {KEYS_A[0]}\naws_secret_access_key = {KEYS_A[1]}\n"),
                    s.set(AWS_PROFILE="x")),
         "error: profile 'x' from AWS_PROFILE | ProfileNotFound"),
    Case("profile-default-prefixed-beats-plain-default",
         lambda s: (s.raw("config", f"[default]\naws_access_key_id = {KEYS_A[0]}\naws_secret_access_key = {KEYS_A[1]}\n"
                                   f"[profile default]\naws_access_key_id = {KEYS_B[0]}\n"
                                   f"aws_secret_access_key = {KEYS_B[1]}\n"),
                    s.record("config-file:default", KEYS_B)),
         "sigv4 config-file:default"),
    Case("key-names-are-case-insensitive",
         lambda s: (s.raw("credentials", f"[default]\nAWS_ACCESS_KEY_ID = {KEYS_A[0]}\n"
                                        f"Aws_Secret_Access_Key = {KEYS_A[1]}\n"),
                    s.record("shared-credentials-file:default", KEYS_A)),
         "sigv4 shared-credentials-file:default"),
    Case("empty-aws-profile", lambda s: (s.creds(), s.set(AWS_PROFILE="")),
         "sigv4 shared-credentials-file:default",
         divergence="empty-aws-profile", botocore="error: ProfileNotFound"),
    Case("aws-default-profile", lambda s: (s.creds("a"), s.creds("b"), s.set(AWS_DEFAULT_PROFILE="a", AWS_PROFILE="b")),
         "sigv4 shared-credentials-file:b",
         divergence="aws-default-profile", botocore="sigv4 shared-credentials-file:a"),
    Case("region-only-profile-falls-through", lambda s: (s.config("dev", region="us-west-2"), s.env_keys(),
                                                         s.set(AWS_PROFILE="dev")), "sigv4 env"),
    # -- credentials file vs config file ---------------------------------------------------------
    Case("credentials-file-beats-config-file", lambda s: (s.creds(), s.config_creds()),
         "sigv4 shared-credentials-file:default"),
    # A key id in the credentials file with the secret in the config file: the standard merges the
    # profile across the files, botocore calls it partial; tests/test_chain_botocore.py shows both.
    Case("credentials-file-secret-only-then-config",
         lambda s: (s.raw("credentials", f"[default]\naws_secret_access_key = {KEYS_A[1]}\n"), s.config_creds()),
         "sigv4 config-file:default"),
    Case("config-file-key-id-without-secret",
         lambda s: s.raw("config", f"[default]\naws_access_key_id = {KEYS_A[0]}\n"),
         "error: has aws_access_key_id but no aws_secret_access_key | PartialCredentialsError"),
    Case("keys-split-across-files-are-not-merged",
         lambda s: (s.raw("credentials", f"[default]\naws_secret_access_key = {KEYS_A[1]}\n"),
                    s.raw("config", f"[default]\naws_secret_access_key = {KEYS_A[1]}\n")),
         NO_CREDS),
    Case("empty-key-id-in-credentials-file",
         lambda s: (s.raw("credentials", f"[default]\naws_access_key_id =\naws_secret_access_key = {KEYS_A[1]}\n"),
                    s.config_creds()),
         NO_CREDS,  # the merged profile's key id is the credentials file's empty one: no key
         divergence="empty-value-in-file", botocore="sigv4 <unknown key ''>"),
    # -- malformed files ---------------------------------------------------------------------------
    Case("malformed-credentials-file-stops-even-env", lambda s: (s.env_keys(), s.raw("credentials", "[default\n")),
         "error: line 1 | ConfigParseError"),
    Case("malformed-config-file-stops-even-env", lambda s: (s.env_keys(), s.raw("config", "region = x\n")),
         "error: line 1 | ConfigParseError"),
    # -- blank bearer tokens -----------------------------------------------------------------------------
    Case("empty-bearer-token-with-env-keys", lambda s: (s.bearer(""), s.env_keys()), "sigv4 env",
         divergence="blank-bearer-token", botocore="bearer bearer:<empty>"),
    Case("whitespace-bearer-token-alone", lambda s: s.bearer("   "), NO_CREDS,
         divergence="blank-bearer-token", botocore="bearer bearer:<empty>"),
    # -- auth scheme preference outside code ---------------------------------------------------------
    Case("env-preference-sigv4-with-bearer",
         lambda s: (s.bearer(), s.env_keys(), s.set(AWS_AUTH_SCHEME_PREFERENCE="sigv4")), "sigv4 env",
         divergence="auth-scheme-preference-outside-code", botocore="bearer bearer:env"),
    Case("config-preference-sigv4-with-bearer",
         lambda s: (s.bearer(), s.env_keys(), s.config(auth_scheme_preference="sigv4")), "sigv4 env",
         divergence="auth-scheme-preference-outside-code", botocore="bearer bearer:env"),
    # -- what botocore cannot express ---------------------------------------------------------------
    Case("bearer-token-in-settings", lambda s: (s.settings_bearer(), s.env_keys()), "bearer bearer:settings",
         divergence="no-bearer-token-setting", botocore="sigv4 env"),
    Case("bidirectional-stream-skips-bearer", lambda s: (s.bearer(), s.env_keys()), "sigv4 env",
         operation="InvokeModelWithBidirectionalStream",
         divergence="no-bidirectional-stream", botocore="error: AttributeError"),
)
