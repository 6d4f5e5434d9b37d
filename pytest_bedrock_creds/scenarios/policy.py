"""What a scenario may set, decided by meaning: everything it sets is exercised, nothing it sets
can run a command or leave loopback, and its expectation can tell its credentials apart.

The loader asks :func:`problems` for each scenario and refuses the file at the first one, with
the line and the field. The rules:

* **Nothing leaves loopback or runs a command.** Raw INI text is read with the reference chain's
  own parser *and* a lenient line scan (``=`` or ``:``, any case, any indentation), so a setting
  that one parser misses the other still sees. Settings that select a provider no fake serves
  (``credential_process``, ``role_arn``, ``source_profile``, ``credential_source``,
  ``web_identity_token_file``, ``sso_*``, ``login_session``), endpoint settings
  (``endpoint_url``, ``services``), ``[sso-session]`` and ``[services]`` sections, and their
  environment twins are refused. An IMDS or container endpoint must be a loopback URL or the
  fake's (``{imds-url}``, ``{container-url}``, which may take a query string); a value that
  names no host at all (``not a uri``, ``/credentials``) cannot open a socket and is allowed,
  so a scenario can show it refused. File-path variables must stay in the temporary home: ``~``, ``$HOME``, ``${HOME}``
  (alone or followed by ``/…``), or ``$NAME/…`` / ``${NAME}/…`` where the scenario sets
  ``NAME`` to a ``~/…`` path itself (variables are expanded once, then ``~``); or empty.
* **Nothing the runner sets masks a scenario's setting.** The runner pins the TLS trust
  (``AWS_CA_BUNDLE``, ``ca_bundle``) and one attempt per call (``AWS_MAX_ATTEMPTS``,
  ``max_attempts``, ``retry_mode``) in code, and turns IMDS off unless the scenario has an
  ``imds`` block: those settings, and IMDS settings in a scenario where IMDS is off, are
  refused. An endpoint *mode* without an endpoint would need a real metadata address.
* **The expectation can tell the candidates apart.** One credential (a label's key id or
  token, or a literal key id) may stand in one place only; two different pairs may not share a
  label. Give the second one its own label: ``{key:config-file:default#plain}``.
"""

from __future__ import annotations

import ipaddress
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_bedrock_creds.chain.model import ChainError
from pytest_bedrock_creds.chain.profiles import read_config_file, read_credentials_file
from pytest_bedrock_creds.scenarios.schema import FAKE_URL, PLACEHOLDER

__all__ = ["FileSettings", "Problem", "dotted", "problems", "scan_files", "strings"]

Path_ = tuple[str | int, ...]
Problem = tuple[Path_, str]

#: Profile keys that select a credential provider no fake serves yet (STS, SSO, login, a process).
PROVIDER_KEYS = frozenset({"credential_process", "role_arn", "source_profile", "credential_source",
                           "web_identity_token_file", "login_session", "sso_session", "sso_start_url",
                           "sso_account_id", "sso_role_name", "sso_region", "sso_registration_scopes"})
#: Profile keys that point a client at another endpoint.
ENDPOINT_KEYS = frozenset({"endpoint_url", "services"})
#: Settings the runner fixes in code; a scenario's value would be silently overridden.
RUNNER_KEYS = {
    "ca_bundle": "the runner gives every client the fake's CA in code (TLS trust is not a credential matter)",
    "max_attempts": "the runner makes one attempt per call, set in code",
    "retry_mode": "the runner makes one attempt per call, set in code",
}
RUNNER_ENV = {
    "AWS_CA_BUNDLE": RUNNER_KEYS["ca_bundle"],
    "AWS_MAX_ATTEMPTS": RUNNER_KEYS["max_attempts"],
    "AWS_RETRY_MODE": RUNNER_KEYS["retry_mode"],
}
#: IMDS settings (config key -> environment twin); they do nothing while IMDS is off.
IMDS_SETTINGS = {
    "ec2_metadata_service_endpoint": "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "ec2_metadata_service_endpoint_mode": "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "metadata_service_timeout": "AWS_METADATA_SERVICE_TIMEOUT",
    "metadata_service_num_attempts": "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
    "ec2_metadata_v1_disabled": "AWS_EC2_METADATA_V1_DISABLED",
    "disable_ec2_metadata": "AWS_EC2_METADATA_DISABLED",
    "ec2_instance_profile_name": "AWS_EC2_INSTANCE_PROFILE_NAME",
}
PROVIDER_ENV = frozenset({"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"})
PATH_ENV = frozenset({"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CREDENTIAL_FILE", "BOTO_CONFIG",
                      "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"})
_LOOPBACK_ENV = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "imds-url", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "container-url"}
_HOME_ROOTS = ("~", "$HOME", "${HOME}")
_VARIABLE_ROOT = re.compile(r"^\$(?:(\w+)|\{(\w+)\})(?=/|$)", re.ASCII)


@dataclass
class FileSettings:
    """What both files of a scenario set: key -> [(where, value)], and section headers."""

    keys: dict[str, list[tuple[Path_, str]]] = field(default_factory=dict)
    sections: list[tuple[Path_, str]] = field(default_factory=list)

    def add(self, key: str, where: Path_, value: str) -> None:
        self.keys.setdefault(key.strip().lower(), []).append((where, value))


_SEPARATOR = re.compile(r"[=:]")


def scan_files(files: dict[str, Any], base: Path_) -> FileSettings:
    """Every key either file sets, read by meaning (structured sections, and raw text twice over)."""
    found = FileSettings()
    for kind in ("credentials", "config"):
        for profile, section in (files.get(kind) or {}).items():
            for key, value in (section.items() if isinstance(section, dict) else ()):
                found.add(key, (*base, kind, profile, key), str(value))
        raw = files.get(f"{kind}_raw")
        if raw:
            _scan_raw(raw, kind, (*base, f"{kind}_raw"), found)
    return found


def _scan_raw(text: str, kind: str, where: Path_, found: FileSettings) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            found.sections.append(((*where, f"line {number}"), " ".join(stripped.strip("[]").split()).lower()))
            continue
        parts = _SEPARATOR.split(stripped, maxsplit=1)
        if len(parts) == 2:
            found.add(parts[0], (*where, f"line {number}"), parts[1].strip())
    for section, values in _parsed(text, kind).items():
        found.sections.append(((*where,), section.lower()))
        for key, value in values.items():
            found.add(key, (*where,), value)


def _parsed(text: str, kind: str) -> dict[str, dict[str, str]]:
    """The chain's own reading of ``text`` (nothing when it does not parse: the scan still ran)."""
    with tempfile.TemporaryDirectory(prefix="bedrock-creds-scan-") as folder:
        path = Path(folder, kind)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            profiles = read_credentials_file(path) if kind == "credentials" else read_config_file(path)
        except (ChainError, UnicodeError, ValueError):
            return {}
    return {str(name): {str(k): str(v) for k, v in (values or {}).items()} for name, values in (profiles or {}).items()}


def _loopback_url(value: str, placeholder: str) -> bool:
    text = value.strip()
    if text == "{" + placeholder + "}" or (placeholder == "container-url" and text.startswith("{container-url}?")):
        return True
    if FAKE_URL.search(value):
        return False
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname or "", parts.port  # a port out of range raises here, not in the client
    except ValueError:
        return False
    if not host:
        return True  # no host at all: no socket can be opened (the clients refuse the value)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def problems(raw: dict[str, Any], path: Path_) -> Iterator[Problem]:
    """Every reason to refuse the scenario ``raw`` (a validated mapping) at ``path``."""
    env: dict[str, Any] = dict(raw.get("env") or {})
    files = scan_files(dict(raw.get("files") or {}), (*path, "files"))
    imds_on = raw.get("imds") is not None or "AWS_EC2_METADATA_DISABLED" in env
    yield from _env_problems(env, (*path, "env"), imds_on)
    yield from _file_problems(files, imds_on)
    endpoint_given = "AWS_EC2_METADATA_SERVICE_ENDPOINT" in env or "ec2_metadata_service_endpoint" in files.keys
    if not endpoint_given:
        if "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE" in env:
            yield (*path, "env", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"), _mode_problem(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
        for where, _ in files.keys.get("ec2_metadata_service_endpoint_mode", []):
            yield where, _mode_problem("ec2_metadata_service_endpoint_mode")
    yield from _identity_problems(raw, path)


def _mode_problem(name: str) -> str:
    return (f"{name} without an endpoint: the runner would point IMDS at the fake with "
            "AWS_EC2_METADATA_SERVICE_ENDPOINT, masking the mode, and the mode alone names a real metadata "
            "address; set the endpoint too ({imds-url}) to test that an endpoint wins over the mode")


def _env_problems(env: dict[str, Any], where: Path_, imds_on: bool) -> Iterator[Problem]:
    twins = {v: k for k, v in IMDS_SETTINGS.items()}
    for name, value in env.items():
        at = (*where, name)
        if name == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI":
            yield at, ("always means http://169.254.170.2, which a hermetic run must not reach; use the "
                       "'container' block (FULL_URI on the fake)")
        elif name in _LOOPBACK_ENV and (value is None or not _loopback_url(value, _LOOPBACK_ENV[name])):
            yield at, (f"{value!r}: only loopback URLs or {{{_LOOPBACK_ENV[name]}}} are allowed here (a hermetic "
                       "run must not leave the machine); leave it out to use the fakes")
        elif name.startswith("AWS_ENDPOINT_URL"):
            yield at, "the Bedrock endpoint is the fake's; it cannot be changed by a scenario"
        elif name in PROVIDER_ENV:
            yield at, (f"{name} selects a credential provider that calls AWS STS, which no fake serves yet; "
                       "scenarios stay on loopback")
        elif name in RUNNER_ENV:
            yield at, f"{name} would be silently overridden: {RUNNER_ENV[name]}"
        elif name in PATH_ENV and value and not _in_home(value, env):
            yield at, (f"{value!r}: a scenario's files live in the temporary home; give a path that starts "
                       "with ~, $HOME or ${HOME} (alone or followed by /), or with $NAME/ or ${NAME}/ where this "
                       "scenario sets NAME to a ~/ path (variables are expanded once); or an empty value")
        elif name in twins and name != "AWS_EC2_METADATA_DISABLED" and not imds_on:
            yield at, _imds_off(name)


def _in_home(value: str, env: dict[str, Any], *, roots: tuple[str, ...] = _HOME_ROOTS) -> bool:
    """Whether the path ``value`` stays in the temporary home once expanded as the SDKs expand it
    (``$VAR``/``${VAR}`` once, then a leading ``~``): it starts with the home itself, or with a
    variable the scenario sets to a ``~`` path (a ``$HOME`` inside it would not be expanded again)."""
    for root in roots:
        if value == root or value.startswith(root + "/"):
            return not _leaves(value[len(root):])
    match = _VARIABLE_ROOT.match(value)
    if match is None or roots != _HOME_ROOTS:
        return False
    inner = env.get(match.group(1) or match.group(2))
    return (isinstance(inner, str) and _in_home(inner, env, roots=("~",))
            and not _leaves(value[match.end():]))


def _leaves(rest: str) -> bool:
    """A ``..`` or another variable after the root could lead out of the home."""
    return ".." in rest.split("/") or "$" in rest or "~" in rest


def _imds_off(name: str) -> str:
    return (f"{name} has no effect here: without an 'imds' block the runner turns IMDS off "
            "(AWS_EC2_METADATA_DISABLED=true); add an 'imds' block, or set AWS_EC2_METADATA_DISABLED yourself")


def _file_problems(files: FileSettings, imds_on: bool) -> Iterator[Problem]:
    for where, section in files.sections:
        if section.startswith(("sso-session", "services")):
            yield where, (f"a [{section}] section configures {section.split()[0]}, which no fake serves; "
                          "a hermetic scenario cannot use it")
    for key, places in files.keys.items():
        for where, value in places:
            if key in PROVIDER_KEYS or key.startswith("sso_"):
                yield where, (f"{key!r} selects a credential provider that runs a command or calls AWS (STS, SSO, "
                              "login), which no fake serves yet; a hermetic scenario cannot use it")
            elif key in ENDPOINT_KEYS:
                yield where, f"{key!r} points the client at another endpoint; the Bedrock endpoint is the fake's"
            elif key in RUNNER_KEYS:
                yield where, f"{key!r} would be silently overridden: {RUNNER_KEYS[key]}"
            elif key == "ec2_metadata_service_endpoint" and not _loopback_url(value, "imds-url"):
                yield where, (f"{value!r}: only a loopback URL or {{imds-url}} is allowed here (a hermetic run "
                              "must not leave the machine)")
            elif key in IMDS_SETTINGS and key != "disable_ec2_metadata" and not imds_on:
                yield where, _imds_off(key)


# -- can the expectation tell the candidates apart? ------------------------------------------------------


def _identity_problems(raw: dict[str, Any], path: Path_) -> Iterator[Problem]:
    uses: dict[str, list[Path_]] = {}  # a credential -> every place it stands in
    labels: dict[str, set[str]] = {}  # a label -> the distinct credentials carrying it
    for where, text in strings({k: raw.get(k) for k in ("env", "files", "settings")}, path):
        for match in PLACEHOLDER.finditer(text):
            kind, label = match.group(1), match.group(2) + (f"#{match.group(3)}" if match.group(3) else "")
            if kind in ("key", "bearer"):
                uses.setdefault(f"{kind}:{label}", []).append(where)
                labels.setdefault(label, set()).add(f"{kind}:{label}")
    for kind in ("credentials", "config"):
        source = "shared-credentials-file" if kind == "credentials" else "config-file"
        for profile, section in (raw.get("files", {}) or {}).get(kind, {}).items():
            mode = section if isinstance(section, str) else section.get("keys")
            label = f"{source}:{profile}"
            if mode:
                uses.setdefault(f"key:{label}", []).append((*path, "files", kind, profile))
                labels.setdefault(label, set()).add(f"key:{label}")
            literal = _literal_key(section)
            if literal:
                uses.setdefault(f"literal:{literal}", []).append((*path, "files", kind, profile))
                labels.setdefault(label, set()).add(f"literal:{literal}")
    for key, label in (("env_keys", "env"), ("settings", "static")):
        spec = raw.get(key)
        if key == "settings":
            literal = _literal_key({"aws_access_key_id": (spec or {}).get("access_key_id", "")})
            if literal:
                uses.setdefault(f"literal:{literal}", []).append((*path, "settings", "access_key_id"))
                labels.setdefault(label, set()).add(f"literal:{literal}")
            spec = (spec or {}).get("keys")
        if spec:
            uses.setdefault(f"key:{label}", []).append((*path, key))
            labels.setdefault(label, set()).add(f"key:{label}")
    env_key = (raw.get("env") or {}).get("AWS_ACCESS_KEY_ID")
    if isinstance(env_key, str) and env_key.strip() and not PLACEHOLDER.search(env_key):
        uses.setdefault(f"literal:{env_key}", []).append((*path, "env", "AWS_ACCESS_KEY_ID"))
        labels.setdefault("env", set()).add(f"literal:{env_key}")
    for credential, places in uses.items():
        if len(places) > 1:
            kind, label = credential.split(":", 1)
            shown = {"key": f"the key id issued to {label!r}", "bearer": f"the bearer token issued to {label!r}",
                     "literal": f"the literal key id {label!r}"}[kind]
            yield places[1], (f"{shown} stands in {len(places)} places ({', '.join(dotted(p) for p in places)}): "
                              "an expectation cannot tell which one a client used; give each place its own "
                              "label (#tag)")
    for label, credentials in labels.items():
        if len(credentials) > 1:
            yield path, (f"two different credentials carry the label {label!r}: an expectation naming it cannot "
                         "tell them apart; give one of them its own label (#tag)")


def _literal_key(section: Any) -> str | None:
    if not isinstance(section, dict):
        return None
    value = {str(k).lower(): v for k, v in section.items()}.get("aws_access_key_id")
    if isinstance(value, str) and value.strip() and not PLACEHOLDER.search(value):
        return value
    return None


def strings(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, (*path, index))


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<file>"
