"""What every resolver reads: the environment, the service settings, the files, the profile."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_bedrock_creds.chain.model import ChainError, ServiceSettings, TraceStep
from pytest_bedrock_creds.chain.profiles import Profiles, read_config_file, read_credentials_file

__all__ = ["Context", "blank"]


def blank(value: str | None) -> bool:
    """Unset, empty and whitespace-only values all count as not set."""
    return value is None or not value.strip()


@dataclass(frozen=True)
class Context:
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

    @classmethod
    def build(
        cls,
        *,
        environ: Mapping[str, str],
        settings: ServiceSettings,
        operation: str,
        http_timeout: float = 1.0,
    ) -> tuple[Context, TraceStep]:
        """Read both files and select the profile; a configuration error raises ChainError."""
        home = Path(environ.get("HOME") or environ.get("USERPROFILE") or os.path.expanduser("~"))
        credentials_path = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
        config_path = Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
        credentials_profiles = read_credentials_file(credentials_path.expanduser())
        config_profiles = read_config_file(config_path.expanduser())

        if not blank(settings.profile):
            assert settings.profile is not None
            profile, origin = settings.profile, "the service settings"
        elif not blank(environ.get("AWS_PROFILE")):
            profile, origin = environ["AWS_PROFILE"], "AWS_PROFILE"
        else:
            profile, origin = "default", "the default"
        reason = f"profile {profile!r} from {origin}"
        if "AWS_DEFAULT_PROFILE" in environ:
            reason += " (AWS_DEFAULT_PROFILE is not a documented setting and is ignored)"
        if origin != "the default":
            found = (credentials_profiles or {}).get(profile) is not None or (config_profiles or {}).get(
                profile
            ) is not None
            if not found:
                raise ChainError(
                    f"profile {profile!r} from {origin} is not in {credentials_path} "
                    f"or (as [profile {profile}]) in {config_path}"
                )
        ctx = cls(
            environ=environ,
            settings=settings,
            operation=operation,
            credentials_path=credentials_path,
            config_path=config_path,
            credentials_profiles=credentials_profiles,
            config_profiles=config_profiles,
            profile=profile,
            profile_origin=origin,
            http_timeout=http_timeout,
        )
        return ctx, TraceStep("profile selection", "used", reason)

    def env(self, name: str) -> str | None:
        """The variable's value, or ``None`` when it is unset, empty or whitespace."""
        value = self.environ.get(name)
        return None if blank(value) else value

    def config_setting(self, key: str) -> str | None:
        """A non-blank setting of the selected profile in the config file."""
        value = ((self.config_profiles or {}).get(self.profile) or {}).get(key.lower())
        return None if blank(value) else value

    def setting(self, env_name: str, config_key: str) -> tuple[str | None, str]:
        """An environment variable, else the config-file setting; with where it came from."""
        value = self.env(env_name)
        if value is not None:
            return value, env_name
        value = self.config_setting(config_key)
        if value is not None:
            return value, f"{config_key} in {self.config_path} [{self.profile}]"
        return None, "unset"
