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
base URL; the container endpoint's full credentials URI).
``SCHEMA`` is the single definition: the loader validates with it and ``schema.json`` is
``json.dumps(SCHEMA)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pytest_bedrock_creds.chain.model import ERROR_KINDS as CHAIN_ERROR_KINDS
from pytest_bedrock_creds.redact import hidden_from_diffs, redact
from pytest_bedrock_creds.scenarios.names import TARGETS
from pytest_bedrock_creds.scenarios.operations import SCENARIO_OPERATIONS
from pytest_bedrock_creds.servers.container import CONTAINER_TARGETS
from pytest_bedrock_creds.servers.imds.model import IMDS_TARGETS

__all__ = [
    "ERROR_KINDS",
    "FAKE_URL",
    "MAX_DELAY",
    "PLACEHOLDER",
    "RESOLVERS",
    "RUNNER_REGION",
    "SCHEMA",
    "TARGETS",
    "ContainerSpec",
    "Expectation",
    "ImdsSpec",
    "Scenario",
    "SettingsSpec",
]

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
    "region": {"type": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-\d+$",
               "description": "the region the request was signed for (without it, a scenario that names no region "
               "is expected in the runner's region, " + RUNNER_REGION + ")"},
}
#: The longest delay fault (seconds); longer than any client's metadata timeout.
MAX_DELAY = 60


def _fault(targets: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["fail", "delay", "hang", "malformed_json", "reset_connection"]},
            "target": {"type": "string", "pattern": "^(?:" + "|".join(targets) + r"|/[!-~]*)$",
                       "$comment": f"one of {', '.join(targets)}, or a path starting with '/'"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "seconds": {"type": "number", "minimum": 0, "maximum": MAX_DELAY},
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

    def describe(self) -> str:
        if self.skip:
            return "skipped"
        if self.scheme is None:
            return f"error containing {self.error!r}"
        text = f"{self.scheme} from {self.source}" + (f" in {self.region}" if self.region else "")
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
        for kind in ("credentials", "config"):
            for section in (self.files.get(kind) or {}).values():
                if isinstance(section, dict):
                    out += [v for v in section.values() if isinstance(v, str)]
        s = self.settings
        out += [v for v in (s.access_key_id, s.secret_access_key, s.session_token, s.bearer_token, s.profile,
                            s.auth_scheme_preference) if v]
        return out

    def expectation_for(self, target: str) -> Expectation:
        return self.expect_by_target.get(target, self.expect)

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
