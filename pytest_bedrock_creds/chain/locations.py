"""Where the shared ``config`` and ``credentials`` files are.

The cross-SDK file-location suite (``config-file-location-tests.json``) pins the home
directory: ``HOME`` first; on Windows then ``USERPROFILE``, then ``HOMEDRIVE`` +
``HOMEPATH``; else the platform's own answer (the password database). ``AWS_CONFIG_FILE``
and ``AWS_SHARED_CREDENTIALS_FILE`` replace the default ``~/.aws/config`` and
``~/.aws/credentials``.

Where the suite is silent the reference reads like botocore (``configloader.raw_config_parse``):
``$VAR`` and ``${VAR}`` are expanded (an unknown variable stays as written), then a leading
``~``; a variable that is set is used as set, so an empty ``AWS_CONFIG_FILE`` names a file that
does not exist (no config file), and an empty ``HOME`` puts the files under ``/``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Literal

__all__ = ["FileLocations", "Platform", "expand_path", "file_locations", "home_directory"]

Platform = Literal["linux", "windows"]

_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)


def _current_platform() -> Platform:
    return "windows" if sys.platform.startswith("win") else "linux"


def _language_home() -> str:
    """What Python itself says the home directory is, ignoring ``HOME`` (the password database)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, AttributeError):  # Windows, or a uid without an entry
        return os.path.expanduser("~")


def home_directory(
    environ: Mapping[str, str], platform: Platform | None = None, language_home: str | None = None
) -> tuple[str, str]:
    """The home directory and where it came from."""
    platform = platform or _current_platform()
    if "HOME" in environ:
        return environ["HOME"], "HOME"
    if platform == "windows":
        if "USERPROFILE" in environ:
            return environ["USERPROFILE"], "USERPROFILE"
        if "HOMEDRIVE" in environ and "HOMEPATH" in environ:
            return environ["HOMEDRIVE"] + environ["HOMEPATH"], "HOMEDRIVE and HOMEPATH"
    return (language_home if language_home is not None else _language_home()), "the system's home directory"


def _pure(platform: Platform, text: str) -> PurePath:
    return PureWindowsPath(text) if platform == "windows" else PurePosixPath(text)


def expand_path(
    raw: str, environ: Mapping[str, str], platform: Platform | None = None, language_home: str | None = None
) -> str:
    """``$VAR``/``${VAR}`` from ``environ``, then a leading ``~`` (``~`` or ``~/…``)."""
    platform = platform or _current_platform()

    def variable(match: re.Match[str]) -> str:
        name = match.group(1).strip("{}") if match.group(1).startswith("{") else match.group(1)
        return environ.get(name, match.group(0))

    text = _VARIABLE.sub(variable, raw)
    separators = ("/", "\\") if platform == "windows" else ("/",)
    if text == "~" or (text.startswith("~") and text[1:2] in separators):
        home, _ = home_directory(environ, platform, language_home)
        home = home.rstrip("".join(separators))
        text = (home + text[1:]) or separators[0]
    return text


@dataclass(frozen=True)
class FileLocations:
    config: str
    credentials: str
    config_origin: str
    credentials_origin: str


def file_locations(
    environ: Mapping[str, str], platform: Platform | None = None, language_home: str | None = None
) -> FileLocations:
    """Both files' paths (expanded) and what chose them."""
    platform = platform or _current_platform()
    found: list[tuple[str, str]] = []
    for variable, name in (("AWS_CONFIG_FILE", "config"), ("AWS_SHARED_CREDENTIALS_FILE", "credentials")):
        if variable in environ:
            raw, origin = environ[variable], variable
        else:
            raw, origin = str(_pure(platform, "~") / ".aws" / name), "the default location"
        found.append((expand_path(raw, environ, platform, language_home), origin))
    (config, config_origin), (credentials, credentials_origin) = found
    return FileLocations(config, credentials, config_origin, credentials_origin)
