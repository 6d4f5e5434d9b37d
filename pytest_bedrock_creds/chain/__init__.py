"""The reference chain: which credentials and which region a Bedrock call should use, and why.

``resolve()`` returns a :class:`Resolution`: the scheme, the source and the identity (secrets
redacted in its repr), the region and where it came from, and a trace of every step with the
reason it was used or skipped::

    profile selection -> region -> IMDS settings -> bearer token -> service settings
    -> environment -> shared credentials file -> config file -> (botocore's legacy files:
    named, not used) -> container endpoint -> EC2 instance metadata (IMDS)

This is the oracle real clients are compared to. What it models, in order of authority:

1. **The written standard**: the AWS SDKs and Tools Reference Guide (the documented Bedrock
   precedence; the settings pages for ``AWS_PROFILE``, ``AWS_REGION``/``region``,
   ``auth_scheme_preference``, the IMDS and container providers), and the shared-file format as
   the SDKs' shared test data pins it (the profile-parser and file-location suites, the Rust
   SDK's IMDS-endpoint and container-URI tables; transcribed under ``tests/``).
2. **Where the standard is silent: botocore 1.44**, read from its source and checked by tests
   that run the same world through real botocore.

The decisions, one by one (each has a unit test; each place botocore departs from the
standard has a ``*_departure`` test, to become a documented divergence):

* **File format** (:mod:`.profile_file`): comments after whitespace are dropped from values
  (botocore keeps them); a duplicate section merges and a duplicate key keeps its last value
  (botocore: a parse error); ``[profile default]`` beats ``[default]`` wherever it is (botocore:
  the later section wins); spaces and tabs inside ``[ profile\tname ]`` are trimmed (botocore
  keeps a section that starts with a space as no profile); names outside ``A-Za-z0-9_-/.%@:+``
  are ignored, so ``[profile "q"]`` is no profile (botocore unquotes it); ``key : value`` is an
  error (botocore accepts ``:``); continuation lines and sub-properties as the suite says.
  Errors name file and line and never quote the line.
* **The profile** is the merged profile of both files, the credentials file winning per key
  (the suite's "profiles duplicated in multiple files are merged"); so a key id in one file and
  its secret in the other make one pair (botocore: partial credentials). The source is the file
  that gave ``aws_access_key_id``. Settings (``region``, IMDS, ``auth_scheme_preference``) are
  read from the merged profile too, as botocore does.
* **File locations** (:mod:`.locations`): ``HOME``, then (Windows) ``USERPROFILE``,
  ``HOMEDRIVE``+``HOMEPATH``, then the system; ``$VAR``/``${VAR}`` then ``~`` expanded; a set but
  empty ``AWS_CONFIG_FILE`` names no file, a directory or missing file is no file (botocore).
* **Profile selection**: settings, ``AWS_PROFILE``, ``default``; ``AWS_DEFAULT_PROFILE`` is not
  documented and is ignored; a named profile in neither file is an error.
* **Region** (:mod:`.region`): settings, ``AWS_REGION``, ``AWS_DEFAULT_REGION`` (botocore's
  variable, read by every Python client; after the guide's), the profile's ``region``; none is a
  ``no-region`` error; a name that is not a host label is an error (botocore).
* **Empty and whitespace-only values** of variables, file keys and tokens count as unset
  (file paths and ``HOME`` excepted, see above).
* **Environment**: ``AWS_SESSION_TOKEN`` only (``AWS_SECURITY_TOKEN`` is ignored and named in
  the trace; botocore prefers it); ``AWS_CREDENTIAL_EXPIRATION`` as botocore: an RFC 3339 time,
  else an error; past, an ``expired-credentials`` error.
* **Partial keys** stop the chain; a secret without a key id is skipped.
* **botocore's legacy sources** (``AWS_CREDENTIAL_FILE``, ``BOTO_CONFIG``/``~/.boto``) are not in
  the documented chain and no other SDK reads them: named in the trace, never used.
* **Auth scheme preference**: names as written (case-sensitive, like botocore), spaces and tabs
  ignored, the first one Bedrock supports decides; none supported means the default (the token);
  ``httpBearerAuth`` first without a token is an error (botocore's ``NoAuthTokenError``). The
  guide lets the environment and config file set it; botocore only honours it in code.
* **Container**: RELATIVE_URI beats FULL_URI; FULL_URI on https, loopback, ``localhost``,
  169.254.170.2, 169.254.170.23 or ``fd00:ec2::23``; the token file is not stripped, and a line
  break in the token is an error (botocore).
* **IMDS** (:mod:`.imds_settings`, :mod:`.imds`): endpoint beats mode; ``num_attempts`` and
  ``timeout`` (integers, botocore's ``int()``), invalid values or mode fail when the default
  chain is built, even if an earlier source would answer; token 403/404/405 or a read timeout
  fall back to IMDSv1, 400 gives none, other failures are retried then fall back; IMDSv1
  disabled is an error; a role list of several lines names no role.
* **Never the real metadata services**: the HTTP client refuses link-local, ``fd00:ec2::/32``
  and ``*.amazonaws.com`` before opening a socket.
"""

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.bearer import BEARER_UNSUPPORTED_OPERATIONS, BearerTokenResolver, bearer_supported
from pytest_bedrock_creds.chain.container import ContainerCredentialsResolver
from pytest_bedrock_creds.chain.environment import EnvironmentCredentialsResolver
from pytest_bedrock_creds.chain.files import ConfigFileResolver, SharedCredentialsFileResolver
from pytest_bedrock_creds.chain.imds import IMDSCredentialsResolver
from pytest_bedrock_creds.chain.legacy import BotocoreLegacySourcesResolver
from pytest_bedrock_creds.chain.model import (
    ERROR_KINDS,
    ChainError,
    ConfigFileError,
    Resolution,
    ServiceSettings,
    TraceStep,
)
from pytest_bedrock_creds.chain.profile_file import ProfileFile, parse_profile_text
from pytest_bedrock_creds.chain.resolve import DEFAULT_CHAIN, resolve
from pytest_bedrock_creds.chain.static import StaticCredentialsResolver

__all__ = [
    "BEARER_UNSUPPORTED_OPERATIONS",
    "DEFAULT_CHAIN",
    "ERROR_KINDS",
    "BearerTokenResolver",
    "BotocoreLegacySourcesResolver",
    "ChainError",
    "ConfigFileError",
    "ConfigFileResolver",
    "ContainerCredentialsResolver",
    "EnvironmentCredentialsResolver",
    "IMDSCredentialsResolver",
    "ProfileFile",
    "Resolution",
    "Resolver",
    "ServiceSettings",
    "SharedCredentialsFileResolver",
    "StaticCredentialsResolver",
    "TraceStep",
    "bearer_supported",
    "parse_profile_text",
    "resolve",
]
