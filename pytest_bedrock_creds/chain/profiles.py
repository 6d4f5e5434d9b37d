"""Reading the shared files from disk, and the profile both files make together.

:mod:`~pytest_bedrock_creds.chain.profile_file` parses the text. Here: a file that does not
exist, or is a directory, or cannot be read, is no file (botocore treats every path that is
not a readable regular file so; the Rust SDK too); a file that is not UTF-8 is an error
naming the line. The profile the chain reads is the *merged* profile of the shared parser
tests ("profiles duplicated in multiple files are merged", "duplicate properties between
files uses credentials property"): the config file's section, overridden key by key by the
credentials file's section of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_bedrock_creds.chain.model import ConfigFileError
from pytest_bedrock_creds.chain.profile_file import FileKind, ProfileFile, parse_profile_text

__all__ = [
    "LoadedFile",
    "Profiles",
    "Setting",
    "load_profile_file",
    "merged_profile",
    "read_config_file",
    "read_credentials_file",
]

Profiles = dict[str, dict[str, str]]


@dataclass(frozen=True)
class LoadedFile:
    """A file the chain looked for: ``parsed`` is ``None`` when there is no file to read,
    and ``status`` says why (``read``, ``missing``, ``directory``, ``unreadable``)."""

    kind: FileKind
    path: str
    origin: str
    status: str
    parsed: ProfileFile | None

    def describe(self) -> str:
        where = f"{self.kind} file {self.path} (from {self.origin})"
        if self.status == "read":
            return where
        return f"{where}: {self.status}, read as no file"


def load_profile_file(path: str | Path, kind: FileKind, origin: str = "the caller") -> LoadedFile:
    """Read and parse one file; a file that is not there (or not a file) is not an error."""
    shown = str(path)
    target = Path(shown) if shown else None
    if target is None or not target.exists():
        return LoadedFile(kind, shown, origin, "missing" if shown else "an empty path", None)
    if target.is_dir():
        return LoadedFile(kind, shown, origin, "a directory", None)
    try:
        data = target.read_bytes()
    except OSError as exc:
        return LoadedFile(kind, shown, origin, f"unreadable ({exc.strerror})", None)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigFileError(shown, line, "is not valid UTF-8 text") from None
    return LoadedFile(kind, shown, origin, "read", parse_profile_text(text, kind, shown))


def read_credentials_file(path: Path) -> Profiles | None:
    """Profiles of a shared credentials file; ``None`` if there is no such file."""
    parsed = load_profile_file(path, "credentials").parsed
    return None if parsed is None else parsed.as_dict()


def read_config_file(path: Path) -> Profiles | None:
    """Profiles of a config file; ``None`` if there is no such file."""
    parsed = load_profile_file(path, "config").parsed
    return None if parsed is None else parsed.as_dict()


@dataclass(frozen=True)
class Setting:
    """One key of the merged profile, with the file, section and line that gave it."""

    value: str
    kind: FileKind
    path: str
    section: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.section} of {self.path}, line {self.line}"

    @property
    def source_label(self) -> str:
        return "shared-credentials-file" if self.kind == "credentials" else "config-file"


def merged_profile(name: str, config: ProfileFile | None, credentials: ProfileFile | None) -> dict[str, Setting] | None:
    """The profile as both files define it (credentials file wins per key); ``None`` if neither has it."""
    merged: dict[str, Setting] | None = None
    for parsed in (config, credentials):
        props = None if parsed is None else parsed.profiles.get(name)
        if parsed is None or props is None:
            continue
        merged = merged if merged is not None else {}
        section = parsed.label(name)
        for key, prop in props.items():
            merged[key] = Setting(prop.value, parsed.kind, parsed.path, section, prop.line)
    return merged
