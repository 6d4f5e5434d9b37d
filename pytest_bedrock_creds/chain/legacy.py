"""``BotocoreLegacySourcesResolver``: botocore's two legacy files, named in the trace, never used.

botocore 1.44 tries two more sources between the config file and the container endpoint:
``AWS_CREDENTIAL_FILE`` (the old EC2 API tools' ``AWSAccessKeyId=`` / ``AWSSecretKey=`` file)
and the boto2 config (``BOTO_CONFIG``, else ``/etc/boto.cfg`` and ``~/.boto``, section
``[Credentials]``). The reference does not use them: the documented chain (the SDKs and Tools
Reference Guide's standardized providers, and the Bedrock precedence this project checks)
has neither, no other AWS SDK reads them, and including them would present botocore-only
behaviour as the standard. They are documented botocore divergences. This step only says,
in the trace, when one of them is there, so that a botocore user sees why the reference
answers differently.
"""

from __future__ import annotations

from pathlib import Path

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.locations import expand_path
from pytest_bedrock_creds.chain.model import Found, Skip

__all__ = ["BotocoreLegacySourcesResolver"]

_NOT_USED = "botocore-only legacy source, not part of the documented chain; the reference does not use it"


class BotocoreLegacySourcesResolver(Resolver):
    name = "BotocoreLegacySourcesResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        present: list[str] = []
        if "AWS_CREDENTIAL_FILE" in ctx.environ:
            present.append(f"AWS_CREDENTIAL_FILE={ctx.environ['AWS_CREDENTIAL_FILE'][:120]!r}")
        if "BOTO_CONFIG" in ctx.environ:
            present.append(f"BOTO_CONFIG={ctx.environ['BOTO_CONFIG'][:120]!r}")
        else:
            for candidate in ("/etc/boto.cfg", "~/.boto"):
                path = expand_path(candidate, ctx.environ)
                if Path(path).is_file():
                    present.append(f"{path} exists")
        if not present:
            return Skip("no AWS_CREDENTIAL_FILE, BOTO_CONFIG, /etc/boto.cfg or ~/.boto (botocore-only legacy "
                        "sources; the reference never uses them)")
        return Skip(f"{'; '.join(present)}: {_NOT_USED}")
