"""What every resolver reads: the environment, the service settings, the files, the profile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_bedrock_creds.chain.locations import Platform, file_locations
from pytest_bedrock_creds.chain.model import ChainError, ServiceSettings, TraceStep
from pytest_bedrock_creds.chain.profile_file import ProfileFile
from pytest_bedrock_creds.chain.profiles import LoadedFile, Profiles, Setting, load_profile_file, merged_profile

__all__ = ["Context", "blank"]


def blank(value: str | None) -> bool:
    """Unset, empty and whitespace-only values all count as not set."""
    return value is None or not value.strip()


@dataclass(frozen=True)
class Context:
    """The world one resolution sees. ``profile_settings`` is the selected profile merged
    across both files (credentials file wins per key), each key with the file and line that
    gave it; ``credentials_profiles`` / ``config_profiles`` are each file on its own."""

    environ: Mapping[str, str]
    settings: ServiceSettings
    operation: str
    credentials_path: Path
    config_path: Path
    credentials_profiles: Profiles | None
    config_profiles: Profiles | None
    profile: str
    profile_origin: str
    http_timeout: float = 1.0
    credentials_file: ProfileFile | None = None
    config_file: ProfileFile | None = None
    profile_settings: Mapping[str, Setting] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        environ: Mapping[str, str],
        settings: ServiceSettings,
        operation: str,
        http_timeout: float = 1.0,
        platform: Platform | None = None,
    ) -> tuple[Context, TraceStep]:
        """Find and read both files and select the profile; a configuration error raises ChainError."""
        where = file_locations(environ, platform)
        credentials = load_profile_file(where.credentials, "credentials", where.credentials_origin)
        config = load_profile_file(where.config, "config", where.config_origin)

        if not blank(settings.profile):
            assert settings.profile is not None
            profile, origin = settings.profile, "the service settings"
        elif not blank(environ.get("AWS_PROFILE")):
            profile, origin = environ["AWS_PROFILE"], "AWS_PROFILE"
        else:
            profile, origin = "default", "the default"
        merged = merged_profile(profile, config.parsed, credentials.parsed)
        if origin != "the default" and merged is None:
            ignored = [n for f in (credentials.parsed, config.parsed) if f is not None for n in f.notes]
            raise ChainError(
                f"profile {profile!r} from {origin} is not in {credentials.path} "
                f"or (as [profile {profile}]) in {config.path}"
                + (f" (ignored: {'; '.join(ignored[:3])})" if ignored else ""),
                kind="profile-not-found",
            )
        reason = f"profile {profile!r} from {origin}; " + "; ".join(_file_notes(credentials, config, profile))
        if "AWS_DEFAULT_PROFILE" in environ:
            reason += "; AWS_DEFAULT_PROFILE is not a documented setting and is ignored"
        ctx = cls(
            environ=environ,
            settings=settings,
            operation=operation,
            credentials_path=Path(credentials.path),
            config_path=Path(config.path),
            credentials_profiles=None if credentials.parsed is None else credentials.parsed.as_dict(),
            config_profiles=None if config.parsed is None else config.parsed.as_dict(),
            profile=profile,
            profile_origin=origin,
            http_timeout=http_timeout,
            credentials_file=credentials.parsed,
            config_file=config.parsed,
            profile_settings=merged or {},
        )
        return ctx, TraceStep("profile selection", "used", reason)

    def env(self, name: str) -> str | None:
        """The variable's value, or ``None`` when it is unset, empty or whitespace."""
        value = self.environ.get(name)
        return None if blank(value) else value

    def profile_setting(self, key: str) -> Setting | None:
        """A non-blank key of the selected (merged) profile."""
        found = self.profile_settings.get(key.lower())
        return None if found is None or blank(found.value) else found

    def config_setting(self, key: str) -> str | None:
        """A non-blank key of the selected profile (both files merged, the credentials file winning)."""
        found = self.profile_setting(key)
        return None if found is None else found.value

    def setting(self, env_name: str, config_key: str) -> tuple[str | None, str]:
        """An environment variable, else the profile's key; with where it came from."""
        value = self.env(env_name)
        if value is not None:
            return value, env_name
        found = self.profile_setting(config_key)
        if found is not None:
            return found.value, f"{config_key} in {found.where}"
        return None, "unset"


def _file_notes(credentials: LoadedFile, config: LoadedFile, profile: str) -> list[str]:
    notes = []
    for loaded in (credentials, config):
        text = loaded.describe()
        parsed = loaded.parsed
        if parsed is not None:
            has = parsed.profiles.get(profile) is not None
            text += f" has {parsed.label(profile)}" if has else f" has no {parsed.label(profile)}"
            if parsed.notes:
                text += " (" + "; ".join(parsed.notes[:3]) + ("; ..." if len(parsed.notes) > 3 else "") + ")"
        notes.append(text)
    return notes
