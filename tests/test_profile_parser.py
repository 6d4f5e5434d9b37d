"""The shared profile-file parser suite, transcribed into our own cases, run on our parser and on botocore's.

Provenance (family ``profile-parser``): every case of ``profile-parser-tests.json`` in
``smithy-lang/smithy-rs``, path ``aws/rust-runtime/aws-config/test-data/profile-parser-tests.json``
(the same cases as ``awslabs/aws-sdk-rust`` ``sdk/aws-config/test-data/profile-parser-tests.json``,
which lacks only the two ``sso-session`` cases at the end; smithy-python's
``config-file-parser-tests.json`` holds the profile cases too, with sub-properties as maps).
Each case below names its upstream case; the inputs are the upstream inputs, the expected
profiles are the upstream ``output`` in our shape (both files merged, as the upstream output is;
a sub-property block is the raw text after ``=``, as in the Rust file). Upstream errors are
matched by their words, which our messages keep. The upstream file holds one case twice
("Profiles can contain multiple properties."); it is transcribed once.

``botocore`` says what botocore 1.44's parser does with the same input (``configloader``, and the
credentials file merged in as ``Session.full_config`` does): ``AGREES``, or how it departs.
The last tests pin the counts reported in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_bedrock_creds.chain import ConfigFileError, parse_profile_text
from pytest_bedrock_creds.chain.profiles import merged_profile

AGREES = "agrees"


@dataclass(frozen=True)
class ParserCase:
    upstream: str
    config: str | None = None
    credentials: str | None = None
    profiles: dict[str, dict[str, str]] | None = None
    error: str | None = None
    sso_sessions: dict[str, dict[str, str]] | None = None
    botocore: str = AGREES
    extra: dict[str, Any] = field(default_factory=dict)


P = ParserCase
COMMENTS_KEPT = "configparser keeps inline comments in the value"
DUPLICATE_SECTION = "configparser refuses a duplicate section (DuplicateSectionError)"
DUPLICATE_KEY = "configparser refuses a duplicate key (DuplicateOptionError)"

CASES: tuple[ParserCase, ...] = (
    P("Empty files have no profiles.", config="", profiles={}),
    P("Empty profiles have no properties.", config="[profile foo]", profiles={"foo": {}}),
    P("Profile names support alphanumeric characters and - / . % @ _ : +",
      config="[profile some-thing:long/the_one%only.foo@bar+]\n[profile foo!bar]",
      profiles={"some-thing:long/the_one%only.foo@bar+": {}},
      botocore="keeps [profile foo!bar] as profile 'foo!bar' (any shlex word is a name)"),
    P("Profile definitions must end with brackets.", config="[profile foo]".rstrip("]"),
      error="Profile definition must end with ']'"),
    P("Profile names should be trimmed.", config="[profile \tfoo \t]", profiles={"foo": {}}),
    P("Tabs can separate profile names from profile prefix.", config="[profile\tfoo]", profiles={"foo": {}}),
    P("Properties must be defined in a profile.", config="name = value", error="Expected a profile definition"),
    P("Profiles can contain properties.", config="[profile foo]\nname = value", profiles={"foo": {"name": "value"}}),
    P("Windows style line endings are supported.", config="[profile foo]\r\nname = value",
      profiles={"foo": {"name": "value"}}),
    P("Equals signs are supported in property values.", config="[profile foo]\nname = val=ue",
      profiles={"foo": {"name": "val=ue"}}),
    P("Unicode characters are supported in property values.", config="[profile foo]\nname = \U0001f602",
      profiles={"foo": {"name": "\U0001f602"}}),
    P("Profiles can contain multiple properties.", config="[profile foo]\nname = value\nname2 = value2",
      profiles={"foo": {"name": "value", "name2": "value2"}}),
    P("Property keys and values are trimmed.", config="[profile foo]\nname \t=  \tvalue \t",
      profiles={"foo": {"name": "value"}}),
    P("Property values can be empty.", config="[profile foo]\nname =", profiles={"foo": {"name": ""}}),
    P("Property key cannot be empty.", config="[profile foo]\n= value", error="Property did not have a name"),
    P("Property definitions must contain an equals sign.", config="[profile foo]\nkey : value",
      error="Expected an '=' sign defining a property",
      botocore="accepts ':' as a separator (configparser): key = 'value'"),
    P("Multiple profiles can be empty.", config="[profile foo]\n[profile bar]", profiles={"foo": {}, "bar": {}}),
    P("Multiple profiles can have properties.", config="[profile foo]\nname = value\n[profile bar]\nname2 = value2",
      profiles={"foo": {"name": "value"}, "bar": {"name2": "value2"}}),
    P("Blank lines are ignored.", config="\t \n[profile foo]\n\t\n \nname = value\n\t \n[profile bar]\n \t",
      profiles={"foo": {"name": "value"}, "bar": {}}),
    P("Pound sign comments are ignored.",
      config="# Comment\n[profile foo] # Comment\nname = value # Comment with # sign",
      profiles={"foo": {"name": "value"}}, botocore=COMMENTS_KEPT),
    P("Semicolon sign comments are ignored.",
      config="; Comment\n[profile foo] ; Comment\nname = value ; Comment with ; sign",
      profiles={"foo": {"name": "value"}}, botocore=COMMENTS_KEPT),
    P("All comment types can be used together.",
      config="# Comment\n[profile foo] ; Comment\nname = value # Comment with ; sign",
      profiles={"foo": {"name": "value"}}, botocore=COMMENTS_KEPT),
    P("Comments can be empty.", config=";\n[profile foo];\nname = value ;\n", profiles={"foo": {"name": "value"}},
      botocore=COMMENTS_KEPT),
    P("Comments can be adjacent to profile names.",
      config="[profile foo]; Adjacent semicolons\n[profile bar]# Adjacent pound signs",
      profiles={"foo": {}, "bar": {}}),
    P("Comments adjacent to values are included in the value.",
      config="[profile foo]\nname = value; Adjacent semicolons\nname2 = value# Adjacent pound signs",
      profiles={"foo": {"name": "value; Adjacent semicolons", "name2": "value# Adjacent pound signs"}}),
    P("Property values can be continued on the next line.", config="[profile foo]\nname = value\n -continued",
      profiles={"foo": {"name": "value\n-continued"}}),
    P("Property values can be continued with multiple lines.",
      config="[profile foo]\nname = value\n -continued\n -and-continued",
      profiles={"foo": {"name": "value\n-continued\n-and-continued"}}),
    P("Continuations are trimmed.", config="[profile foo]\nname = value\n \t -continued \t ",
      profiles={"foo": {"name": "value\n-continued"}}),
    P("Continuation values include pound comments.", config="[profile foo]\nname = value\n -continued # Comment",
      profiles={"foo": {"name": "value\n-continued # Comment"}}),
    P("Continuation values include semicolon comments.", config="[profile foo]\nname = value\n -continued ; Comment",
      profiles={"foo": {"name": "value\n-continued ; Comment"}}),
    P("Continuations cannot be used outside of a profile.", config=" -continued",
      error="Expected a profile definition"),
    P("Continuations cannot be used outside of a property.", config="[profile foo]\n -continued",
      error="Expected a property definition"),
    P("Continuations reset with profile definitions.", config="[profile foo]\nname = value\n[profile foo]\n -continued",
      error="Expected a property definition"),
    P("Duplicate profiles in the same file merge properties.",
      config="[profile foo]\nname = value\n[profile foo]\nname2 = value2",
      profiles={"foo": {"name": "value", "name2": "value2"}}, botocore=DUPLICATE_SECTION),
    P("Duplicate properties in a profile use the last one defined.",
      config="[profile foo]\nname = value\nname = value2",
      profiles={"foo": {"name": "value2"}}, botocore=DUPLICATE_KEY),
    P("Duplicate properties in duplicate profiles use the last one defined.",
      config="[profile foo]\nname = value\n[profile foo]\nname = value2",
      profiles={"foo": {"name": "value2"}}, botocore=DUPLICATE_SECTION),
    P("Duplicate properties in duplicate profiles use the last one defined (case insensitive).",
      config="[profile foo]\nName = value\n[profile foo]\nname = value2",
      profiles={"foo": {"name": "value2"}}, botocore=DUPLICATE_SECTION),
    P("Default profile with profile prefix overrides default profile without prefix when profile prefix is first.",
      config="[profile default]\nname = value\n[default]\nname2 = value2",
      profiles={"default": {"name": "value"}},
      botocore="the section that comes last wins: [default]"),
    P("Default profile with profile prefix overrides default profile without prefix when profile prefix is last.",
      config="[default]\nname2 = value2\n[profile default]\nname = value",
      profiles={"default": {"name": "value"}}),
    P("Invalid profile names are ignored.", config="[profile in valid]\nname = value",
      credentials="[in valid 2]\nname2 = value2", profiles={},
      botocore="keeps credentials-file section [in valid 2] as profile 'in valid 2'"),
    P("Invalid property names are ignored.", config="[profile foo]\nin valid = value", profiles={"foo": {}},
      botocore="keeps key 'in valid'"),
    P("All valid profile name characters are supported.",
      config="[profile ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_]",
      profiles={"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_": {}}),
    P("All valid property name characters are supported.",
      config="[profile foo]\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_ = value",
      profiles={"foo": {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789-_": "value"}}),
    P("Properties can have sub-properties.", config="[profile foo]\ns3 =\n name = value",
      profiles={"foo": {"s3": "\nname = value"}}),
    P("Invalid sub-property definitions cause an error.", config="[profile foo]\ns3 =\n invalid",
      error="Expected an '=' sign defining a sub-property"),
    P("Sub-property definitions can have an empty value.", config="[profile foo]\ns3 =\n name =",
      profiles={"foo": {"s3": "\nname ="}}),
    P("Sub-property definitions cannot have an empty name.", config="[profile foo]\ns3 =\n = value",
      error="Sub-property did not have a name", botocore="accepts a sub-property with an empty name"),
    P("Sub-property definitions can have an invalid name.", config="[profile foo]\ns3 =\n in valid = value",
      profiles={"foo": {"s3": "\nin valid = value"}}),
    P("Sub-properties can have blank lines that are ignored",
      config="[profile foo]\ns3 =\n name = value\n\t \n name2 = value2",
      profiles={"foo": {"s3": "\nname = value\nname2 = value2"}}),
    P("Profiles duplicated in multiple files are merged.", config="[profile foo]\nname = value",
      credentials="[foo]\nname2 = value2", profiles={"foo": {"name": "value", "name2": "value2"}}),
    P("Default profiles with mixed prefixes in the config file ignore the one without prefix when merging.",
      config="[profile default]\nname = value\n[default]\nname2 = value2\n[profile default]\nname3 = value3",
      profiles={"default": {"name": "value", "name3": "value3"}}, botocore=DUPLICATE_SECTION),
    P("Default profiles with mixed prefixes merge with credentials",
      config="[profile default]\nname = value\n[default]\nname2 = value2\n[profile default]\nname3 = value3",
      credentials="[default]\nsecret=foo",
      profiles={"default": {"name": "value", "name3": "value3", "secret": "foo"}}, botocore=DUPLICATE_SECTION),
    P("Duplicate properties between files uses credentials property.", config="[profile foo]\nname = value",
      credentials="[foo]\nname = value2", profiles={"foo": {"name": "value2"}}),
    P("Config profiles without prefix are ignored.", config="[foo]\nname = value", profiles={}),
    P("Credentials profiles with prefix are ignored.", credentials="[profile foo]\nname = value", profiles={},
      botocore="keeps credentials-file section [profile foo] as profile 'profile foo'"),
    P("Comment characters adjacent to profile decls", config="[profile foo]; semicolon\n[profile bar]# pound",
      profiles={"foo": {}, "bar": {}}),
    P("Invalid continuation", config="[profile foo]\nname = value\n[profile foo]\n -continued",
      error="Expected a property definition, found continuation"),
    P("sneaky profile name", config="[profilefoo]\nname = value\n[profile bar]", profiles={"bar": {}}),
    P("profile name with extra whitespace", config="[   profile foo    ]\nname = value\n[profile bar]",
      profiles={"bar": {}, "foo": {"name": "value"}},
      botocore="'   profile foo    ' does not start with 'profile': the section is not a profile"),
    P("profile name with extra whitespace in credentials", credentials="[   foo    ]\nname = value\n[profile bar]",
      profiles={"foo": {"name": "value"}},
      botocore="keeps the credentials-file sections as profiles '   foo    ' and 'profile bar'"),
    P("properties from an invalid profile name are ignored",
      config="[profile foo]\nname = value\n[profile in valid]\nx = 1\n[profile bar]\nname = value2",
      profiles={"bar": {"name": "value2"}, "foo": {"name": "value"}}),
    P("sso-session with properties", config="[sso-session foo]\nname = value\n[profile bar]",
      profiles={"bar": {}}, sso_sessions={"foo": {"name": "value"}}),
    P("sso-session without the space before the name is a profile", credentials="[sso-sessionfoo]\nname = value\n[bar]",
      profiles={"sso-sessionfoo": {"name": "value"}, "bar": {}}, sso_sessions={}),
)

UPSTREAM_ENTRIES = 64  # entries in the upstream file, one of them a repeat


def ours(case: ParserCase) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    config = None if case.config is None else parse_profile_text(case.config, "config", "config")
    credentials = None if case.credentials is None else parse_profile_text(case.credentials, "credentials", "creds")
    names = {n for parsed in (config, credentials) if parsed for n in parsed.profiles}
    profiles = {}
    for name in names:
        merged = merged_profile(name, config, credentials)
        assert merged is not None
        profiles[name] = {key: setting.value for key, setting in merged.items()}
    sso = {} if config is None else {n: {k: p.value for k, p in props.items()}
                                     for n, props in config.sso_sessions.items()}
    return profiles, sso


def _nested(value: object) -> str:
    """botocore's sub-property map in the Rust file's raw-text shape."""
    if isinstance(value, dict):
        return "".join(f"\n{k} = {v}" if v else f"\n{k} =" for k, v in value.items())
    return str(value)


def botocore_profiles(case: ParserCase, tmp_path: Path) -> dict[str, dict[str, str]] | str:
    """What botocore reads: ``load_config`` on the config file, the credentials file's sections
    merged in key by key (``Session.full_config``); an error as its class name."""
    from botocore import configloader
    from botocore.exceptions import BotoCoreError

    config_path, credentials_path = tmp_path / "config", tmp_path / "credentials"
    for path, text in ((config_path, case.config), (credentials_path, case.credentials)):
        if text is not None:
            path.write_bytes(text.encode("utf-8"))
    try:
        profiles: dict[str, dict[str, object]] = (
            configloader.load_config(str(config_path))["profiles"] if config_path.exists() else {}
        )
        if credentials_path.exists():
            for name, values in configloader.raw_config_parse(str(credentials_path)).items():
                profiles.setdefault(name, {}).update(values)
    except BotoCoreError as exc:
        return type(exc).__name__
    return {name: {k: _nested(v) for k, v in values.items()} for name, values in profiles.items()}


def test_every_upstream_case_is_transcribed_once() -> None:
    names = [c.upstream for c in CASES]
    assert len(names) == len(set(names)) == UPSTREAM_ENTRIES - 1


@pytest.mark.parametrize("case", CASES, ids=[c.upstream for c in CASES])
def test_our_parser(case: ParserCase) -> None:
    if case.error is not None:
        with pytest.raises(ConfigFileError) as info:
            ours(case)
        assert case.error in str(info.value)
        assert ", line " in str(info.value)
        return
    profiles, sso = ours(case)
    assert profiles == case.profiles
    if case.sso_sessions is not None:
        assert sso == case.sso_sessions


@pytest.mark.parametrize("case", CASES, ids=[c.upstream for c in CASES])
def test_botocore_parser_agrees_or_departs_as_recorded(case: ParserCase, tmp_path: Path) -> None:
    seen = botocore_profiles(case, tmp_path)
    expected: dict[str, dict[str, str]] | str = "ConfigParseError" if case.error else (case.profiles or {})
    agrees = seen == expected
    assert agrees == (case.botocore == AGREES), f"botocore read {seen!r}; the case records: {case.botocore}"


def test_counts() -> None:
    """The figures the README gives: transcribed, passing on our parser, agreeing with botocore."""
    assert len(CASES) == 63
    assert sum(c.botocore == AGREES for c in CASES) == 44
