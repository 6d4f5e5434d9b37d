"""The shared ``config`` / ``credentials`` file format, as the SDKs' shared parser tests pin it.

The cross-SDK suite (``profile-parser-tests.json`` in the AWS SDK for Rust, the same cases in
smithy-python and botocore) fixes the format; ``tests/profile_parser_cases.py`` transcribes it.
Line by line:

* a blank line is skipped; a line whose first non-blank character is ``#`` or ``;`` is a
  comment (botocore's reading: an indented comment is a comment too);
* ``[name]`` starts a section; whitespace inside the brackets is trimmed, tabs included;
  a ``#`` or ``;`` anywhere after the name starts a comment; the header must end with ``]``;
* ``key = value``: the key is lower-cased and trimmed; the value is trimmed and loses a
  comment that starts with whitespace followed by ``#`` or ``;`` (``value# x`` keeps it);
* an indented line continues the open property (``value\\n-continued``, comments kept); when
  the property's own value is empty, the indented lines are sub-properties (``s3 =`` then
  ``  name = value``) and each needs a ``=`` and a name.

Then the sections become profiles: in the config file ``[default]`` and ``[profile name]``
(``profile`` followed by spaces or tabs; ``[profile default]`` wins over ``[default]``
wherever it appears), ``[sso-session name]`` and ``[services name]`` are kept apart, any
other section is not a profile; in the credentials file ``[name]`` is profile ``name``.
Profile and key names may hold letters, digits and ``_-/.%@:+``; a section or key with any
other character (a space, a quote) is ignored, with a note. A section that appears twice is
merged; a key that appears twice keeps its last value.

An error names the file and line and never quotes the line: a line that fails to parse may
be a secret that lost its ``=``. At most a known setting name at the start of the line is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pytest_bedrock_creds.chain.model import ConfigFileError

__all__ = [
    "FileKind",
    "ProfileFile",
    "Property",
    "Section",
    "is_valid_name",
    "parse_profile_text",
]

FileKind = Literal["config", "credentials"]

_NAME = re.compile(r"[A-Za-z0-9_\-/.%@:+]+")
_INLINE_COMMENT = re.compile(r"\s[#;]")
_SECTION_COMMENT = re.compile(r"[#;]")
_FIRST_WORD = re.compile(r"[A-Za-z0-9_\-]+")

#: Setting names an error message may show (never a value): what a line that fails to parse
#: most likely meant to set. Anything else on the line stays hidden.
KNOWN_SETTINGS = frozenset(
    {
        "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
        "aws_account_id", "region", "output", "role_arn", "source_profile", "credential_source",
        "credential_process", "role_session_name", "external_id", "mfa_serial", "duration_seconds",
        "web_identity_token_file", "sso_session", "sso_start_url", "sso_region", "sso_account_id",
        "sso_role_name", "login_session", "ec2_metadata_service_endpoint",
        "ec2_metadata_service_endpoint_mode", "ec2_metadata_v1_disabled", "metadata_service_timeout",
        "metadata_service_num_attempts", "auth_scheme_preference", "endpoint_url", "services",
        "ca_bundle", "max_attempts", "retry_mode", "s3",
    }
)


def is_valid_name(name: str) -> bool:
    """A profile or key name: letters, digits and ``_-/.%@:+``, at least one character."""
    return _NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class Property:
    """A value and the line that (last) set it."""

    value: str
    line: int


@dataclass(frozen=True)
class Section:
    """A section as written, before it is turned into a profile (ignored ones included)."""

    name: str
    line: int
    properties: tuple[tuple[str, Property], ...]


@dataclass(frozen=True)
class ProfileFile:
    """One parsed file. ``profiles`` maps a profile name to its keys (lower case);
    ``notes`` says what was ignored and why (for traces); ``sections`` keeps every section
    as written, the ignored ones too (for tools that must look at every key)."""

    kind: FileKind
    path: str
    profiles: Mapping[str, Mapping[str, Property]]
    sso_sessions: Mapping[str, Mapping[str, Property]] = field(default_factory=dict)
    services: Mapping[str, Mapping[str, Property]] = field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    notes: tuple[str, ...] = ()

    def label(self, profile: str) -> str:
        """How the profile's section is written in this file: ``[name]``, ``[default]``, ``[profile name]``."""
        if self.kind == "credentials":
            return f"[{profile}]"
        prefixed = any(_classify("config", s.name) == ("profile", "default") for s in self.sections)
        if profile == "default" and not prefixed:
            return "[default]"
        return f"[profile {profile}]"

    def values(self, profile: str) -> dict[str, str] | None:
        """The profile's keys and values, or ``None`` if the file has no such profile."""
        props = self.profiles.get(profile)
        return None if props is None else {key: prop.value for key, prop in props.items()}

    def as_dict(self) -> dict[str, dict[str, str]]:
        """Every profile as plain ``{name: {key: value}}``."""
        return {name: {k: p.value for k, p in props.items()} for name, props in self.profiles.items()}


@dataclass
class _Open:
    name: str
    line: int
    props: dict[str, Property] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    key: str | None = None  # the property continuation lines extend
    sub_properties: bool = False


def _hint(text: str) -> str:
    """A safe mention of a bad line: its first word if that is a known setting name."""
    word = _FIRST_WORD.match(text)
    if word and word.group(0).lower() in KNOWN_SETTINGS:
        return f" (a line starting with {word.group(0)!r}; the rest is not shown)"
    return " (the line is not shown: it may hold a secret)"


def _strip_value_comment(value: str) -> str:
    match = _INLINE_COMMENT.search(value)
    return (value[: match.start()] if match else value).strip()


def parse_profile_text(text: str, kind: FileKind, path: str | Path = "<string>") -> ProfileFile:
    """Parse the text of a ``config`` or ``credentials`` file; :class:`ConfigFileError` on bad syntax."""
    where = str(path)
    sections: list[_Open] = []
    current: _Open | None = None
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        indented = line[0] in " \t"
        if indented and current is not None and current.key is not None:
            _continue(current, stripped, number, where)
            continue
        if stripped.startswith("["):
            body = stripped
            comment = _SECTION_COMMENT.search(body)
            if comment:
                body = body[: comment.start()]
            body = body.rstrip()
            if not body.endswith("]"):
                raise ConfigFileError(where, number, "Profile definition must end with ']'" + _hint(stripped[1:]))
            current = _Open(body[1:-1].strip(), number)
            sections.append(current)
            continue
        if current is None:
            raise ConfigFileError(where, number, "Expected a profile definition, found a setting before any "
                                  "[section] header" + _hint(stripped))
        if indented:
            raise ConfigFileError(where, number, "Expected a property definition, found continuation"
                                  + _hint(stripped))
        key, sep, value = stripped.partition("=")
        if not sep:
            raise ConfigFileError(where, number, "Expected an '=' sign defining a property" + _hint(stripped))
        key = key.strip().lower()
        if not key:
            raise ConfigFileError(where, number, "Property did not have a name")
        value = _strip_value_comment(value)
        if key not in current.props:
            current.order.append(key)
        current.props[key] = Property(value, number)
        current.key, current.sub_properties = key, value == ""
    return _build(kind, where, sections)


def _continue(current: _Open, stripped: str, number: int, where: str) -> None:
    assert current.key is not None
    if current.sub_properties:
        name, sep, _ = stripped.partition("=")
        if not sep:
            raise ConfigFileError(where, number, "Expected an '=' sign defining a sub-property" + _hint(stripped))
        if not name.strip():
            raise ConfigFileError(where, number, "Sub-property did not have a name")
    previous = current.props[current.key]
    current.props[current.key] = Property(previous.value + "\n" + stripped, previous.line)


def _build(kind: FileKind, where: str, sections: list[_Open]) -> ProfileFile:
    notes: list[str] = []
    buckets: dict[str, dict[str, dict[str, Property]]] = {
        "profile": {}, "plain-default": {}, "sso-session": {}, "services": {},
    }
    for section in sections:
        target, name = _classify(kind, section.name)
        shown = f"[{section.name[:64]}] (line {section.line})"
        if target is None:
            notes.append(f"{shown} is not a profile in a {kind} file; ignored")
            continue
        if not is_valid_name(name):
            notes.append(f"{shown}: {name[:64]!r} is not a valid name (letters, digits and _-/.%@:+); ignored")
            continue
        props = buckets[target].setdefault(name, {})
        for key in section.order:
            if is_valid_name(key):
                props[key] = section.props[key]
            else:
                line = section.props[key].line
                notes.append(f"{shown}: the key on line {line} has characters other than letters, digits and "
                             "_-/.%@:+; ignored (not shown: it may hold a secret)")
    profiles = buckets["profile"]
    if "default" in buckets["plain-default"]:
        if "default" in profiles:
            notes.append("[default] is ignored: the file also has [profile default], which wins")
        else:
            profiles["default"] = buckets["plain-default"]["default"]
    raw = tuple(
        Section(s.name, s.line, tuple((k, s.props[k]) for k in s.order)) for s in sections
    )
    return ProfileFile(kind, where, profiles, buckets["sso-session"], buckets["services"], raw, tuple(notes))


def _classify(kind: FileKind, name: str) -> tuple[str | None, str]:
    """Which map a section goes to, and its name there."""
    if kind == "credentials":
        return "profile", name
    if name == "default":
        return "plain-default", "default"
    for prefix, target in (("profile", "profile"), ("sso-session", "sso-session"), ("services", "services")):
        if name.startswith(prefix) and name[len(prefix) : len(prefix) + 1] in (" ", "\t"):
            return target, name[len(prefix) :].strip()
    return None, name
