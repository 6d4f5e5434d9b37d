"""The region a Bedrock call goes to.

The SDKs and Tools Reference Guide ("AWS Region") names the client's own setting, then
``AWS_REGION``, then the profile's ``region``; with none of them a client cannot be made
(every Python client refuses: botocore ``NoRegionError``, ``AnthropicBedrock`` ``ValueError``,
the experimental client ``ConfigValidationError``). The guide does not mention
``AWS_DEFAULT_REGION``; botocore reads it (and never ``AWS_REGION``), ``AnthropicBedrock`` and
the experimental client read it after ``AWS_REGION``, as the Go SDK does. So the reference
reads it too, after ``AWS_REGION`` and before the profile (an environment variable beats the
config file). ``region`` in the profile is read from the merged profile: the credentials
file's value wins, as in botocore. Nobody asks IMDS for a region (the guide leaves that to
each SDK; no Python client does), so neither does the reference. A name that is not a host
label (``us east 1``, ``eu-west-1 # mine`` in botocore's reading) is an error, as botocore's
``InvalidRegionError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_bedrock_creds.chain.context import Context, blank
from pytest_bedrock_creds.chain.model import ChainError

__all__ = ["RegionChoice", "resolve_region"]

#: botocore's ``validate_region_name``: a host label.
_HOST_LABEL = re.compile(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class RegionChoice:
    region: str
    source: str
    reason: str


def resolve_region(ctx: Context) -> RegionChoice:
    """The region, its source label and the trace reason; :class:`ChainError` (``no-region``
    or ``invalid-config``) when there is none or it is not a region name."""
    skipped: list[str] = []
    candidates: list[tuple[str | None, str, str]] = [
        (ctx.settings.region, "settings", "the service settings"),
        (ctx.environ.get("AWS_REGION"), "env:AWS_REGION", "AWS_REGION"),
        (ctx.environ.get("AWS_DEFAULT_REGION"), "env:AWS_DEFAULT_REGION", "AWS_DEFAULT_REGION"),
    ]
    found = ctx.profile_setting("region")
    if found is not None:
        candidates.append((found.value, f"{found.source_label}:{ctx.profile}", f"region in {found.where}"))
    for value, source, origin in candidates:
        if value is not None and blank(value):
            skipped.append(f"{origin} is empty, treated as unset")
        if blank(value):
            continue
        assert value is not None
        if not _HOST_LABEL.match(value):
            raise ChainError(f"region {value[:80]!r} from {origin} is not a valid region name", kind="invalid-config")
        reason = f"{value} from {origin}"
        if skipped:
            reason += " (" + "; ".join(skipped) + ")"
        return RegionChoice(value, source, reason)
    tried = "the service settings, AWS_REGION, AWS_DEFAULT_REGION and region in the profile"
    raise ChainError(f"no region: {tried} are all unset" + (f" ({'; '.join(skipped)})" if skipped else ""),
                     kind="no-region")
