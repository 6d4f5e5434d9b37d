"""A parse error never quotes a secret, whatever shape the line that holds it has (issue 11).

The parser raises only :class:`ConfigFileError`, and no message it produces (nor the
reference chain's error and trace for the same file) contains the secret.
"""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_bedrock_creds.chain import ConfigFileError, parse_profile_text, resolve

SECRET_ALPHABET = string.ascii_letters + string.digits + "+/=_-.:%@"
secrets = st.text(SECRET_ALPHABET, min_size=16, max_size=48).filter(lambda s: not s.isdigit())
keys = st.sampled_from(["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "aws_session_token", "aws_access_key_id",
                        "secret", "token", "x", ""])
separators = st.sampled_from(["=", " = ", " ", ":", " : ", "\t", "==", " +", ""])
indents = st.sampled_from(["", " ", "\t", "   "])
section_lines = st.sampled_from(["[default]", "[profile dev]", "[profile dev", "[dev]", "[]", "[profile in valid]"])
filler = st.sampled_from(["region = us-east-1", "# comment", "; comment", "", "s3 =", "  name = value", "= x", "x"])


@st.composite
def files_with_a_secret(draw: st.DrawFn) -> tuple[str, str]:
    secret = draw(secrets)
    secret_line = draw(indents) + draw(keys) + draw(separators) + secret + draw(st.sampled_from(["", " # c", ";"]))
    lines = draw(st.lists(st.one_of(section_lines, filler), max_size=6))
    lines.insert(draw(st.integers(0, len(lines))), secret_line)
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(indents) + secret)  # the secret alone on a line
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"])), secret


def assert_hidden(secret: str, text: str) -> None:
    """Neither the secret nor any part of it (split at ``=``, which can make a key of it) of 8+ characters."""
    for part in [secret, *secret.split("=")]:
        if len(part) >= 8:
            assert part not in text


@settings(max_examples=400, deadline=None)
@given(files_with_a_secret(), st.sampled_from(["config", "credentials"]))
def test_parse_errors_never_quote_the_secret(case: tuple[str, str], kind: str) -> None:
    text, secret = case
    try:
        shown = "\n".join(parse_profile_text(text, kind, "/tmp/f").notes)  # type: ignore[arg-type]
    except ConfigFileError as exc:
        shown = str(exc)
        where = "/tmp/f, line "
    else:
        where = ""
    assert where in shown
    assert_hidden(secret, shown)


@settings(max_examples=60, deadline=None)
@given(files_with_a_secret())
def test_the_chain_never_shows_the_secret_of_a_broken_file(case: tuple[str, str]) -> None:
    text, secret = case
    with tempfile.TemporaryDirectory() as home:
        credentials = Path(home, "credentials")
        credentials.write_text(text, encoding="utf-8")
        result = resolve(environ={"HOME": home, "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
                                  "AWS_CONFIG_FILE": str(Path(home, "config")), "AWS_REGION": "us-east-1",
                                  "AWS_EC2_METADATA_DISABLED": "true"})
    assert_hidden(secret, f"{result.error} {result.explain()} {result!r}")
