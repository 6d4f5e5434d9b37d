"""The scenario format: one JSON Schema (shipped as ``schema.json``) and the typed scenario it loads into.

A scenario file is YAML::

    family: environment            # optional; the matrix row (default: the file name's stem)
    doc: free text
    scenarios:
      - name: env-keys-beat-credentials-file
        doc: ...
        env: {AWS_ACCESS_KEY_ID: "{key:env}", AWS_SECRET_ACCESS_KEY: "{secret:env}"}
        files: {credentials: {default: issued}}
        expect: {scheme: sigv4, source: env}

Placeholders ``{key:<source>}``, ``{secret:<source>}``, ``{session:<source>}`` and
``{bearer:<source>}`` stand for credentials the ledger issues to ``<source>`` when the scenario
runs (``<source>`` is a ledger label such as ``env`` or ``shared-credentials-file:dev``; add
``#tag`` for a second pair given to the same source: it is then attributed as
``<source>#tag``). ``{imds-url}`` and ``{container-url}`` stand for the fakes' URLs (the IMDS
base URL; the container endpoint's full credentials URI). For the rest of the chain:
``{account-id}`` (the ledger's account), ``{role-arn:<role>}``, ``{web-identity-token:<role>}``
and ``{expired-web-identity-token:<role>}`` (the path of a token file the ledger issued for
that role), ``{process:<name>}`` (the command line of a ``credential_process`` the
``processes`` block describes) and ``{login-session:<profile>}`` (the ``login_session`` the
``login`` block caches).
``SCHEMA`` is the single definition: the loader validates with it and ``schema.json`` is
``json.dumps(SCHEMA)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_bedrock_creds.chain.model import ERROR_KINDS as CHAIN_ERROR_KINDS
from pytest_bedrock_creds.redact import hidden_from_diffs, redact
from pytest_bedrock_creds.scenarios.names import TARGETS
from pytest_bedrock_creds.scenarios.operations import SCENARIO_OPERATIONS
from pytest_bedrock_creds.servers.container import CONTAINER_TARGETS
from pytest_bedrock_creds.servers.imds.model import IMDS_TARGETS

__all__ = [
    "CHAIN_PLACEHOLDER",
    "ERROR_KINDS",
    "FAKE_URL",
    "FOLLOWS",
    "MAX_DELAY",
    "PLACEHOLDER",
    "RESOLVERS",
    "RUNNER_REGION",
    "SCHEMA",
    "TARGETS",
    "ContainerSpec",
    "Expectation",
    "ImdsSpec",
    "LoginSpec",
    "ProcessSpec",
    "Scenario",
    "SettingsSpec",
    "SsoSpec",
    "StsSpec",
]

#: Targets whose credentials come from botocore's own chain: target -> (the target it follows, why).
#: Where a scenario documents a divergence of the followed target and has no entry for the follower,
#: the follower is expected to do the same (it is still run, and judged against that); an entry of
#: its own wins, and may restate ``expect`` (the follower departs from the target it follows).
FOLLOWS: dict[str, tuple[str, str]] = {
    "aiobotocore": ("botocore", "aiobotocore runs botocore's credential providers and signer"),
    "langchain-aws": ("botocore", "langchain-aws calls Bedrock through a boto3 client"),
    "pydantic-ai": ("botocore", "pydantic-ai's BedrockProvider calls Bedrock through a boto3 client"),
    "strands-agents": ("botocore", "strands' BedrockModel calls Bedrock through a boto3 client"),
    "litellm": ("botocore", "litellm finds credentials beyond its own parameters with a boto3 session"),
}

#: What an ``expect.error`` substring is matched against: ``"<kind>: <message>"``. The reference
#: chain's kinds, plus what only a client or the fake produces.
ERROR_KINDS = (*CHAIN_ERROR_KINDS, "unsupported-operation", "unsupported-setting", "rejected", "other")

#: The credentials resolvers a scenario may name in ``settings.resolver`` (``default``: the chain).
RESOLVERS = ("default", "environment", "imds", "static", "container", "process")

#: The region the runner sets (``AWS_REGION``, ``AWS_DEFAULT_REGION``) for scenarios that name none;
#: their requests are then expected to be signed for it.
RUNNER_REGION = "us-east-1"

PLACEHOLDER = re.compile(r"\{(key|secret|session|bearer):([a-z][a-z-]*(?::[^}#\s]+)?)(?:#(\w+))?\}")
#: The fakes' URLs, for settings that name an endpoint (``ec2_metadata_service_endpoint = {imds-url}``).
FAKE_URL = re.compile(r"\{(imds-url|container-url)\}")
#: What the rest of the chain needs written or named: the account, a role's ARN, a web identity
#: token file, a credential_process command, a login session.
CHAIN_PLACEHOLDER = re.compile(
    r"\{(account-id|role-arn|web-identity-token|expired-web-identity-token|process|login-session)"
    r"(?::([A-Za-z0-9_+=,.@-]{1,64}))?\}")

# Bounds that keep every value the loader accepts usable when the scenario runs: it must reach
# os.environ, UTF-8 files and HTTP headers, so no NUL and no lone surrogate (YAML's "\0" and
# "\ud800" escapes make both); names that become env variables, INI lines or URL paths are
# held to what those allow. ("$comment" is the hint the loader's errors show.)
_TEXT_PATTERN = r"^[^\x00\ud800-\udfff]*$"
_STR = {"type": "string", "pattern": _TEXT_PATTERN, "$comment": "no NUL character or lone surrogate"}
_LINE = {"type": "string", "pattern": r"^[^\x00\r\n\ud800-\udfff]*$",
         "$comment": "one line: no line break, NUL character or lone surrogate"}
_ENV_NAME = {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
             "$comment": "an environment variable name: letters, digits and '_', not starting with a digit"}
_PROFILE_NAME = {"pattern": r"^[^\[\]\x00\r\n\ud800-\udfff]+$",
                 "$comment": "a profile name: no '[', ']', line break, NUL character or lone surrogate"}
_FILE_KEY = {"pattern": r"^[A-Za-z0-9_.-]+$", "$comment": "a setting name: letters, digits, '_', '.', '-'"}
_ROLE_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9+=,.@_-]{1,64}$",
              "$comment": "an IAM role name: 1-64 of letters, digits and +=,.@_-"}
_ENV_VALUE = {"type": ["string", "null"], "pattern": _TEXT_PATTERN, "$comment": _STR["$comment"],
              "description": "a value (\"\" is a value); null unsets the variable"}
_SECTION = {
    "description": "'issued' (fresh key pair for this file and profile), 'issued-temporary' (with a session "
    "token), or the settings written as given; 'keys: issued|issued-temporary' adds a fresh pair",
    "anyOf": [
        {"type": "string", "enum": ["issued", "issued-temporary"]},
        {
            "type": "object",
            "properties": {"keys": {"type": "string", "enum": ["issued", "issued-temporary"]}},
            "propertyNames": _FILE_KEY,
            "additionalProperties": _LINE,
        },
    ],
}
_OUTCOME_PROPS: dict[str, Any] = {
    "scheme": {"type": "string", "enum": ["bearer", "sigv4"]},
    "source": {**_STR, "description": "a ledger label: bearer:env, bearer:settings, static, env, "
               "shared-credentials-file:<p>, config-file:<p>, container, imds:<role>, optionally with #tag; "
               "or what a target really sent: bearer:<empty>, <unknown key '...'>, <unknown token>"},
    "error": {**_STR, "description": "substring of '<kind>: <message>'; kinds: " + ", ".join(ERROR_KINDS)
              + ". With scheme and source too: the request arrived with that identity and the fake rejected "
              "it ('rejected: <AWS error code>: ...')"},
    "signature_valid": {"type": "boolean", "description": "false: the request is signed with this source's key "
                        "but a wrong secret, so the fake rejects it (default: the signature must verify)"},
    "via": {"anyOf": [_STR, {"type": "array", "items": _STR}],
            "description": "the rest of the lineage: the source (or sources, newest first) whose credentials "
            "obtained the ones that signed, e.g. shared-credentials-file:base for an assumed role; without it, "
            "none (credentials read as they are)"},
    "region": {"type": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-\d+$",
               "description": "the region the request was signed for (without it, a scenario that names no region "
               "is expected in the runner's region, " + RUNNER_REGION + ")"},
}
#: The longest delay fault (seconds); longer than any client's metadata timeout.
MAX_DELAY = 60
_FAULT_KINDS = ("fail", "delay", "hang", "malformed_json", "reset_connection")


def _fault(targets: tuple[str, ...], *, kinds: tuple[str, ...] = _FAULT_KINDS, paths: bool = True,
           max_delay: float = MAX_DELAY, **extra: Any) -> dict[str, Any]:
    """A fault entry: ``kind`` (one of ``kinds``), ``target`` (one of ``targets``, or with ``paths`` a
    path), ``status``, ``seconds`` (up to ``max_delay``), ``times``, and the ``extra`` properties."""
    target = "^(?:" + "|".join(targets) + (r"|/[!-~]*" if paths else "") + ")$"
    return {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": list(kinds)},
            "target": {"type": "string", "pattern": target,
                       "$comment": f"one of {', '.join(targets)}" + (", or a path starting with '/'" if paths else "")},
            **extra,
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "seconds": {"type": "number", "minimum": 0, "maximum": max_delay},
            "times": {"type": "integer", "minimum": 1},
        },
        "required": ["kind"],
        "additionalProperties": False,
    }


_ROLE = {
    "type": "object",
    "properties": {
        "expired": {"type": "boolean"},
        "unauthorized": {"type": "boolean"},
    },
    "additionalProperties": False,
}

_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9_+=,.@-]{1,64}$",
         "$comment": "a name: 1-64 of letters, digits and +=,.@_-"}
_STS_FAULT = _fault(
    ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity", "any"), paths=False, max_delay=5,
    kinds=("error", "fail", "delay", "malformed_xml", "reset_connection"),
    code={"type": "string", "pattern": r"^[A-Za-z]+$", "description": "the AWS error code (kind error: an AWS "
          "error document after the signature check; fail: an HTTP status without one)"},
)
_SSO_FAULT = _fault(("credentials", "any"), paths=False, max_delay=5,
                    kinds=("fail", "delay", "malformed_json", "reset_connection"))

SCENARIO: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]*$"},
        "family": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]*$"},
        "doc": _STR,
        "env": {"type": "object", "propertyNames": _ENV_NAME, "additionalProperties": _ENV_VALUE,
                "description": "variables set on top of the hermetic environment (placeholders allowed)"},
        "env_keys": {"type": "string", "enum": ["issued", "issued-temporary"],
                     "description": "sugar: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) issued to env"},
        "files": {
            "type": "object",
            "properties": {
                "credentials": {"type": "object", "propertyNames": _PROFILE_NAME, "additionalProperties": _SECTION,
                                "description": "profile -> section of the shared credentials file"},
                "config": {"type": "object", "propertyNames": _PROFILE_NAME, "additionalProperties": _SECTION,
                           "description": "profile -> [default] or [profile name] of the config file"},
                "sso_sessions": {"type": "object", "propertyNames": _PROFILE_NAME,
                                 "additionalProperties": {"type": "object", "propertyNames": _FILE_KEY,
                                                          "additionalProperties": _LINE},
                                 "description": "name -> [sso-session name] of the config file (sso_start_url, "
                                 "sso_region ...)"},
                "credentials_raw": {**_STR, "description": "verbatim text, written before the sections"},
                "config_raw": {**_STR, "description": "verbatim text, written before the sections"},
            },
            "additionalProperties": False,
        },
        "imds": {
            "type": "object",
            "description": "the fake IMDS (present: AWS_EC2_METADATA_DISABLED is unset)",
            "properties": {
                "roles": {"anyOf": [{"type": "array", "items": _ROLE_NAME},
                                    {"type": "object", "propertyNames": _ROLE_NAME, "additionalProperties": _ROLE}]},
                "v1": {"type": "boolean", "description": "serve IMDSv1 (no token); default false"},
                "faults": {"type": "array", "items": _fault(IMDS_TARGETS)},
            },
            "additionalProperties": False,
        },
        "container": {
            "type": "object",
            "description": "the fake ECS container-credentials endpoint via AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "properties": {
                "credentials": {"type": "string", "enum": ["issued", "expired", "none"]},
                "token": {"type": "string", "enum": ["inline", "file", "none", "wrong", "inline-newline",
                                                     "file-newline"],
                          "description": "AWS_CONTAINER_AUTHORIZATION_TOKEN (inline) or ..._TOKEN_FILE (file); "
                          "-newline: the right token followed by a line break"},
                "host": {"type": "string", "enum": ["127.0.0.1", "localhost"],
                         "description": "the host AWS_CONTAINER_CREDENTIALS_FULL_URI names (the fake listens on "
                         "127.0.0.1)"},
                "faults": {"type": "array", "items": _fault(CONTAINER_TARGETS)},
            },
            "additionalProperties": False,
        },
        "sts": {
            "type": "object",
            "description": "the fake STS (always attached: AWS_ENDPOINT_URL_STS); any role in the ledger's "
            "account can be assumed unless 'roles' says what it demands",
            "properties": {
                "roles": {"type": "object", "propertyNames": _ROLE_NAME,
                          "additionalProperties": {
                              "type": "object",
                              "properties": {
                                  "external_id": _LINE,
                                  "max_session_duration": {"type": "integer", "minimum": 900, "maximum": 43200},
                                  "allow": {"type": "boolean"},
                              },
                              "additionalProperties": False,
                          }},
                "faults": {"type": "array", "items": _STS_FAULT},
            },
            "additionalProperties": False,
        },
        "sso": {
            "type": "object",
            "description": "the fake IAM Identity Center portal (always attached: AWS_ENDPOINT_URL_SSO) and the token "
            "cache: profile -> the sso-session (or, legacy, the start URL) whose cached token the ledger issues to "
            "sso:<profile>",
            "properties": {
                "tokens": {"type": "object", "propertyNames": _PROFILE_NAME, "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "session": _LINE,
                        "start_url": _LINE,
                        "expired": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                }},
                "deny": {"type": "array", "items": _ROLE_NAME, "description": "role names the user is not assigned"},
                "faults": {"type": "array", "items": _SSO_FAULT},
            },
            "additionalProperties": False,
        },
        "processes": {
            "type": "object",
            "description": "credential_process commands, named by {process:<name>}: what each prints (Version 1 "
            "JSON with credentials the ledger issues to process:<name>) and how it exits",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "credentials": {"type": "string", "enum": ["issued", "issued-long-term", "expired"],
                                    "description": "issued: temporary, expiring in an hour (default); "
                                    "issued-long-term: no SessionToken or Expiration; expired: expired an hour ago"},
                    "output": {**_STR, "description": "print this instead (placeholders allowed)"},
                    "exit_code": {"type": "integer", "minimum": 0, "maximum": 255},
                },
                "additionalProperties": False,
            },
        },
        "login": {
            "type": "object",
            "description": "aws login caches: profile -> the cached session (credentials issued to login:<profile>)",
            "propertyNames": _PROFILE_NAME,
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "session": {**_LINE, "description": "the login_session (default: an IAM user ARN named "
                                "after the profile); {login-session:<profile>} stands for it"},
                    "cache": {"type": "string", "enum": ["valid", "expired", "none", "no-refresh-token"]},
                },
                "additionalProperties": False,
            },
        },
        "settings": {
            "type": "object",
            "description": "what the program gives the client in code",
            "properties": {
                "keys": {"type": "string", "enum": ["issued", "issued-temporary"],
                         "description": "sugar: a fresh key pair (source static)"},
                "access_key_id": _STR,
                "secret_access_key": _STR,
                "session_token": _STR,
                "bearer_token": _STR,
                "profile": _STR,
                "region": {"type": "string", "description": "the region given to the client in code"},
                "resolver": {"type": "string", "enum": list(RESOLVERS),
                             "description": "one specific credentials resolver instead of the default chain "
                             "(aws-sdk-bedrock-runtime's aws_credentials_identity_resolver); other clients have "
                             "no such setting"},
                "signature_version": {"type": "string", "enum": ["v4"]},
                "auth_scheme_preference": _STR,
            },
            "additionalProperties": False,
        },
        "operation": {"type": "string", "enum": list(SCENARIO_OPERATIONS),
                      "description": "the Bedrock Runtime operation each target calls (default Converse)"},
        "expect": {"type": "object", "properties": _OUTCOME_PROPS, "additionalProperties": False},
        "expect_by_target": {
            "type": "object",
            "description": "a target's own outcome where it departs from 'expect', with a reason; a target that "
                           "follows another (FOLLOWS: the botocore-based clients) takes that target's entry where "
                           "it has none, and may restate 'expect' where it departs from it",
            "propertyNames": {"enum": list(TARGETS)},
            "additionalProperties": {
                "type": "object",
                "properties": {
                    **_OUTCOME_PROPS,
                    "skip": {"type": "boolean", "description": "do not run this target (say why in reason)"},
                    "reason": {**_STR, "minLength": 1},
                    "key": {**_STR, "description": "the README divergence row, if any"},
                },
                "required": ["reason"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["name", "expect"],
    "additionalProperties": False,
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/pytest-bedrock-creds/pytest-bedrock-creds/scenarios/schema.json",
    "title": "pytest-bedrock-creds scenario file",
    "type": "object",
    "properties": {
        "family": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]*$"},
        "doc": _STR,
        "scenarios": {"type": "array", "items": SCENARIO, "minItems": 1},
    },
    "required": ["scenarios"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Expectation:
    """An outcome: ``scheme`` and ``source``, or an ``error`` substring; for a target, with its reason."""

    scheme: str | None = None
    source: str | None = None
    error: str | None = None
    signature_valid: bool | None = None
    reason: str | None = None
    skip: bool = False
    key: str | None = None
    region: str | None = None
    #: the rest of the lineage (who obtained the credentials that signed), newest first
    via: tuple[str, ...] = ()

    def same_outcome(self, other: Expectation) -> bool:
        """Whether both describe the same outcome (reasons and keys aside)."""
        return (self.skip, self.scheme, self.source, self.error, self.signature_valid, self.region, self.via) == (
            other.skip, other.scheme, other.source, other.error, other.signature_valid, other.region, other.via)

    def describe(self) -> str:
        if self.skip:
            return "skipped"
        if self.scheme is None:
            return f"error containing {self.error!r}"
        text = f"{self.scheme} from {self.source}" + (f" via {' <- '.join(self.via)}" if self.via else "")
        text += f" in {self.region}" if self.region else ""
        text += ", signature INVALID" if self.signature_valid is False else ""
        return text + (f", rejected with an error containing {self.error!r}" if self.error is not None else "")


@dataclass(frozen=True)
class ImdsSpec:
    roles: dict[str, dict[str, bool]] = field(default_factory=dict)
    v1: bool = False
    faults: tuple[dict[str, Any], ...] = ()

    @property
    def hangs(self) -> bool:
        return any(f["kind"] == "hang" for f in self.faults)


@dataclass(frozen=True)
class ContainerSpec:
    credentials: str = "issued"
    token: str = "inline"
    host: str = "127.0.0.1"
    faults: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class StsSpec:
    """What the fake STS demands of roles, and its faults."""

    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class SsoSpec:
    """Cached IAM Identity Center tokens (profile -> session or start URL, expired), denials, faults."""

    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    deny: tuple[str, ...] = ()
    faults: tuple[dict[str, Any], ...] = ()


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class ProcessSpec:
    """One ``credential_process`` command: what it prints and how it exits (``output`` may hold a
    literal secret: the repr redacts it)."""

    credentials: str = "issued"
    output: str | None = None
    exit_code: int = 0

    def __repr__(self) -> str:
        return (f"ProcessSpec(credentials={self.credentials!r}, output={redact(self.output)}, "
                f"exit_code={self.exit_code!r})")


@dataclass(frozen=True)
class LoginSpec:
    """One ``aws login`` cache."""

    session: str | None = None
    cache: str = "valid"


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class SettingsSpec:
    keys: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    bearer_token: str | None = None
    profile: str | None = None
    signature_version: str | None = None
    auth_scheme_preference: str | None = None
    region: str | None = None
    resolver: str | None = None

    def __repr__(self) -> str:
        return (
            f"SettingsSpec(keys={self.keys!r}, access_key_id={self.access_key_id!r}, "
            f"secret_access_key={redact(self.secret_access_key)}, session_token={redact(self.session_token)}, "
            f"bearer_token={redact(self.bearer_token)}, profile={self.profile!r}, "
            f"signature_version={self.signature_version!r}, auth_scheme_preference={self.auth_scheme_preference!r}, "
            f"region={self.region!r}, resolver={self.resolver!r})"
        )


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class Scenario:
    """One scenario of a file, validated. ``line`` is where its mapping starts (1-based)."""

    name: str
    family: str
    path: str
    line: int
    doc: str = ""
    env: dict[str, str | None] = field(default_factory=dict)
    env_keys: str | None = None
    files: dict[str, Any] = field(default_factory=dict)
    imds: ImdsSpec | None = None
    container: ContainerSpec | None = None
    settings: SettingsSpec = field(default_factory=SettingsSpec)
    operation: str = "Converse"
    sts: StsSpec | None = None
    sso: SsoSpec | None = None
    processes: dict[str, ProcessSpec] = field(default_factory=dict)
    login: dict[str, LoginSpec] = field(default_factory=dict)
    expect: Expectation = field(default_factory=Expectation)
    expect_by_target: dict[str, Expectation] = field(default_factory=dict)
    #: every key (lower case) either file sets, in any profile or section, structured or raw
    file_keys: frozenset[str] = frozenset()
    #: whether the scenario sets the region anywhere (then the runner sets none)
    mentions_region: bool = False

    @property
    def default_region(self) -> str | None:
        """The region the runner sets, and expects requests to be signed for: none when the
        scenario names a region itself (then only ``expect.region`` is checked)."""
        return None if self.mentions_region else RUNNER_REGION

    def texts(self) -> list[str]:
        """Every string the scenario gives: variable values, file values and raw text, settings."""
        out: list[str] = [v for v in self.env.values() if v]
        out += [v for v in (self.files.get("credentials_raw"), self.files.get("config_raw")) if v]
        for kind in ("credentials", "config", "sso_sessions"):
            for section in (self.files.get(kind) or {}).values():
                if isinstance(section, dict):
                    out += [v for v in section.values() if isinstance(v, str)]
        s = self.settings
        out += [v for v in (s.access_key_id, s.secret_access_key, s.session_token, s.bearer_token, s.profile,
                            s.auth_scheme_preference) if v]
        out += [p.output for p in self.processes.values() if p.output]
        return out

    def expectation_for(self, target: str) -> Expectation:
        """``target``'s own entry; else the entry of the target it follows (:data:`FOLLOWS`), its reason
        saying so; else ``expect``."""
        own = self.expect_by_target.get(target)
        if own is not None:
            return own
        followed, why = FOLLOWS.get(target, ("", ""))
        inherited = self.expect_by_target.get(followed)
        if inherited is None or inherited.skip:
            return self.expect
        return replace(inherited, reason=f"as {followed} ({why}): {inherited.reason}")

    def documents(self, target: str) -> bool:
        """Whether ``target`` is expected to depart from ``expect`` (a documented divergence)."""
        return not self.expectation_for(target).same_outcome(self.expect)

    def literal_secrets(self) -> set[str]:
        """Secret values written literally in the scenario (redacted in every message)."""
        found: set[str] = set()
        for value in (self.settings.secret_access_key, self.settings.session_token, self.settings.bearer_token):
            if value:
                found.add(value)
        for name, value in self.env.items():
            if value and any(word in name for word in ("SECRET", "TOKEN")):
                found.add(value)
        for kind in ("credentials", "config"):
            for section in (self.files.get(kind) or {}).values():
                if isinstance(section, dict):
                    for key, value in section.items():
                        if key.lower() in ("aws_secret_access_key", "aws_session_token") and value:
                            found.add(value)
        for raw in (self.files.get("credentials_raw"), self.files.get("config_raw")):
            for match in re.finditer(r"(?im)^\s*aws_(?:secret_access_key|session_token)\s*=\s*(\S+)", raw or ""):
                found.add(match.group(1))
        return {s for s in found if not PLACEHOLDER.fullmatch(s)}

    def __repr__(self) -> str:
        return f"Scenario({self.path}:{self.line} {self.name!r}, family={self.family!r})"
