"""Where the chain's own calls go: the STS and IAM Identity Center portal endpoints.

The SDKs and Tools Reference Guide ("Service-specific endpoints"): an endpoint given in code,
then ``AWS_ENDPOINT_URL_<SERVICE>`` (``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL_SSO``), then
``AWS_ENDPOINT_URL``, then the profile's ``services`` section (``sts =`` with an indented
``endpoint_url = …``), then the profile's ``endpoint_url``; ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``
/ ``ignore_configured_endpoint_urls`` = true turns all of them off. Otherwise the service's
own endpoint: ``https://sts.<region>.amazonaws.com`` (botocore 1.44's regional STS) and
``https://portal.sso.<sso_region>.amazonaws.com``, which :mod:`.http` refuses to contact:
inside a test, point ``AWS_ENDPOINT_URL_STS`` / ``AWS_ENDPOINT_URL_SSO`` at the fakes.
"""

from __future__ import annotations

from pytest_bedrock_creds.chain.context import Context

__all__ = ["service_endpoint"]


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def _services_endpoint(ctx: Context, key: str) -> tuple[str | None, str]:
    services = ctx.config_setting("services")
    if services is None or ctx.config_file is None:
        return None, ""
    section = ctx.config_file.services.get(services)
    block = None if section is None else section.get(key)
    if block is None:
        return None, ""
    for line in block.value.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip().lower() == "endpoint_url" and value.strip():
            return value.strip(), f"endpoint_url for {key} in [services {services}]"
    return None, ""


def service_endpoint(ctx: Context, service_id: str, default: str) -> tuple[str, str]:
    """The endpoint for ``service_id`` (``"STS"``, ``"SSO"``) and where it came from. The profile
    settings read are the selected profile's, also while a ``source_profile`` is being resolved
    (botocore makes these clients from the session, i.e. the selected profile)."""
    ctx = ctx.selected
    ignore, _ = ctx.setting("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls")
    if not _truthy(ignore):
        variable = "AWS_ENDPOINT_URL_" + service_id.upper().replace(" ", "_")
        for name in (variable, "AWS_ENDPOINT_URL"):
            value = ctx.env(name)
            if value is not None:
                return value.strip(), name
        value, origin = _services_endpoint(ctx, service_id.lower().replace(" ", "_"))
        if value is not None:
            return value, origin
        found = ctx.profile_setting("endpoint_url")
        if found is not None:
            return found.value.strip(), f"endpoint_url in {found.where}"
    return default, "the service's own endpoint"
