"""Reading the shared credentials and config files into profiles.

Parsing follows botocore (``configparser.RawConfigParser``: keys are case-insensitive,
values verbatim, duplicate sections are errors). In the credentials file a section
``[name]`` is profile ``name``; in the config file ``[default]`` and ``[profile name]``
are profiles (``[profile default]`` wins over ``[default]``) and other sections
(``[sso-session x]``, ``[services x]``, unprefixed names) are not profiles.

A file that cannot be parsed raises :class:`ConfigFileError` naming the file and line;
a line that assigns a secret is never quoted back.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

from pytest_bedrock_creds.chain.model import ConfigFileError

__all__ = ["Profiles", "read_config_file", "read_credentials_file"]

Profiles = dict[str, dict[str, str]]

_SECRET_KEYS = ("secret", "token", "password")


def _describe_line(line: str) -> str:
    text = line.strip()
    key = text.split("=", 1)[0].strip().lower()
    if "=" in text and any(s in key for s in _SECRET_KEYS):
        return repr(f"{key} = <redacted>")
    return repr(text[:80])


def _parse(path: Path) -> configparser.RawConfigParser | None:
    if not path.exists():
        return None
    if path.is_dir():
        raise ConfigFileError(path, None, "is a directory, not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigFileError(path, line, "is not valid UTF-8 text") from None
    except OSError as exc:
        raise ConfigFileError(path, None, f"cannot be read: {exc.strerror}") from None
    parser = configparser.RawConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigFileError(
            path, exc.lineno, f"setting before any [section] header: {_describe_line(exc.line)}"
        ) from None
    except configparser.DuplicateSectionError as exc:
        raise ConfigFileError(path, exc.lineno, f"section [{exc.section}] appears twice") from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigFileError(
            path, exc.lineno, f"key {exc.option!r} appears twice in section [{exc.section}]"
        ) from None
    except configparser.ParsingError as exc:
        lineno, shown = exc.errors[0]  # configparser stores repr(line)
        try:
            bad_line = str(ast.literal_eval(str(shown)))
        except (ValueError, SyntaxError):
            bad_line = str(shown)
        raise ConfigFileError(path, int(lineno), f"cannot parse line {_describe_line(bad_line)}") from None
    except configparser.Error as exc:  # any other parser complaint, still with the file named
        raise ConfigFileError(path, None, exc.message) from None
    return parser


def read_credentials_file(path: Path) -> Profiles | None:
    """Profiles of a shared credentials file; ``None`` if it does not exist."""
    parser = _parse(path)
    if parser is None:
        return None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def read_config_file(path: Path) -> Profiles | None:
    """Profiles of a config file; ``None`` if it does not exist."""
    parser = _parse(path)
    if parser is None:
        return None
    profiles: Profiles = {}
    prefixed: Profiles = {}
    for section in parser.sections():
        values = dict(parser.items(section))
        if section == "default":
            profiles["default"] = values
        elif section.startswith("profile "):
            name = section[len("profile ") :].strip()
            if name:
                prefixed[name] = values
    profiles.update(prefixed)  # [profile default] wins over [default]
    return profiles
