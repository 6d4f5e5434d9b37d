"""Hypothesis fuzzing of everything that reads outside input: the scenario loader (and a loaded
scenario's run), the INI parser, the IMDS/container credentials documents and event-stream frames.

The only exceptions allowed are the documented ones (``ScenarioFileError``, ``ConfigFileError``,
``ChainError``, ``ValueError`` from the encoder for what it cannot encode, botocore's
``ParserError`` family from its decoder). ``bench/fuzz_bounds.py`` runs the same generators
for longer and prints the time and memory each input took. The example counts here are the
ones the README quotes.
"""

from __future__ import annotations

import json
import string
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.eventstream import EventStreamBuffer, ParserError
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pytest_bedrock_creds import AwsEnv, FakeBedrock, FakeContainerCredentials, FakeImds, Ledger
from pytest_bedrock_creds.chain import resolve
from pytest_bedrock_creds.chain.documents import parse_credentials_document
from pytest_bedrock_creds.chain.model import ChainError, ConfigFileError
from pytest_bedrock_creds.chain.profiles import read_config_file, read_credentials_file
from pytest_bedrock_creds.scenarios import Runtime, ScenarioFileError, load_text, prepare, run_target
from pytest_bedrock_creds.servers.bedrock.eventstream import encode_frame

CATALOGUE = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "scenarios").glob("*.yaml"))

#: Examples per fuzzer and run (the README's counts).
EXAMPLES = {"yaml-text": 300, "yaml-structured": 300, "yaml-mutated": 300, "scenario-run": 150,
            "ini": 500, "documents": 500, "eventstream-roundtrip": 300, "eventstream-mutated": 300}

_FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                      HealthCheck.filter_too_much, HealthCheck.data_too_large]}

# -- strategies shared with bench/fuzz_bounds.py -------------------------------------------------------

#: Text that reaches the corners: YAML and INI syntax, NUL, lone surrogates, other planes.
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([*"[]{}:,-&*!|>'\"#%@`=;\\\n\r\t ?<", "\x00", "\ud800", "\udc80", "\u2028", "\ufeff"]),
        st.characters(),
    ),
    max_size=200,
)
_KEYS = ["scenarios", "name", "doc", "family", "env", "env_keys", "files", "credentials", "config", "credentials_raw",
         "config_raw", "imds", "roles", "v1", "faults", "kind", "target", "status", "seconds", "times", "container",
         "token", "settings", "keys", "profile", "operation", "expect", "scheme", "source", "error",
         "expect_by_target", "reason", "skip", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "botocore", "reference"]
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), hostile_text,
    st.sampled_from(["issued", "issued-temporary", "sigv4", "bearer", "env", "fail", "delay", "hang", "{key:env}",
                     "{secret:env}", "{bearer:bearer:env}", "http://127.0.0.1:1/", "http://[::1", ".inf", "a/b"]),
)
_trees = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(_KEYS), hostile_text), inner, max_size=5)),
    max_leaves=40,
)


@st.composite
def yaml_documents(draw: st.DrawFn) -> Any:
    """Trees, some with shared parts (safe_dump writes them as anchors and aliases: a few, or
    levels of aliases that multiply), some referring to themselves, some nested thousands deep."""
    shape = draw(st.sampled_from(["tree", "shared", "laughs", "self", "deep"]))
    tree = draw(_trees)
    if shape == "shared":
        return {"scenarios": [tree, tree], "doc": [tree]}
    if shape == "laughs":
        value: Any = [tree]
        width = draw(st.integers(2, 12))
        for _ in range(draw(st.integers(2, 12))):
            value = [value] * width
        return {"scenarios": value}
    if shape == "self":
        loop: list[Any] = [tree]
        loop.append(loop)
        return {"scenarios": [{"name": "s", "doc": loop, "expect": {"error": "x"}}]}
    if shape == "deep":
        for _ in range(draw(st.integers(10, 3000))):
            tree = [tree] if draw(st.booleans()) else {"k": tree}
        return {"scenarios": tree}
    return tree


@st.composite
def mutated_catalogue(draw: st.DrawFn) -> str:
    """A catalogue file with a few characters inserted, deleted or replaced."""
    text = draw(st.sampled_from(CATALOGUE)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.sampled_from(["&a ", "*a", "[", "]", "{", "}", ":", "- ", "\n", "  ", "!!python/name:os.system",
                                      "<<: *a", "'", '"', "\\ud800", "\x00", "#", ".inf", "99999", "a/b", "A=B"]))
        cut = draw(st.integers(0, 3))
        text = text[:at] + piece + text[at + cut:]
    return text


def _env_name() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                      "AWS_BEARER_TOKEN_BEDROCK", "AWS_AUTH_SCHEME_PREFERENCE", "AWS_REGION",
                                      "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_V1_DISABLED",
                                      "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_DEFAULT_PROFILE",
                                      "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                      "A=B", ""]),
                     st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z"), hostile_text)


_values = st.one_of(hostile_text, st.sampled_from(["{key:env}", "{secret:env}", "{session:env}", "{bearer:bearer:env}",
                                                   "{key:shared-credentials-file:dev}", "", " ", "true", "sigv4",
                                                   "dev", "default", "http://[::1", "http://127.0.0.1:99999/",
                                                   "http://127.0.0.1:1/", "http://localhost:1/x"]))
_file_keys = st.sampled_from(["aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region", "keys",
                              "auth_scheme_preference", "a b", "x=y"])
_section = st.one_of(st.sampled_from(["issued", "issued-temporary"]), st.dictionaries(_file_keys, _values, max_size=4))
# No hang and no long delay: they are valid and only slow (the chain waits for its timeout).
_fault = st.fixed_dictionaries({"kind": st.sampled_from(["fail", "malformed_json", "delay"])},
                               optional={"status": st.one_of(st.integers(100, 599), st.integers()),
                                         "times": st.integers(-1, 3),
                                         "seconds": st.one_of(st.floats(max_value=0.01), st.floats()),
                                         "target": st.sampled_from(["any", "credentials", "token", "role-list", "/x",
                                                                    "x y", ""])})


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Scenario-shaped documents with hostile values; the loader decides which are valid."""
    scenario: dict[str, Any] = {"name": "s", "expect": {"error": "x"}}
    optional: dict[str, st.SearchStrategy[Any]] = {
        "env": st.dictionaries(_env_name(), st.one_of(st.none(), _values), max_size=4),
        "env_keys": st.sampled_from(["issued", "issued-temporary"]),
        "files": st.fixed_dictionaries({}, optional={
            "credentials": st.dictionaries(st.sampled_from(["default", "dev", "a b", "x]"]), _section, max_size=2),
            "config": st.dictionaries(st.sampled_from(["default", "dev", "profile x"]), _section, max_size=2),
            "credentials_raw": hostile_text, "config_raw": hostile_text}),
        "imds": st.fixed_dictionaries({}, optional={
            "roles": st.lists(st.sampled_from(["r", "app-role", "a/b", "x" * 65, "r@1"]), max_size=2),
            "v1": st.booleans(), "faults": st.lists(_fault, max_size=2)}),
        "container": st.fixed_dictionaries({}, optional={
            "credentials": st.sampled_from(["issued", "expired", "none"]),
            "token": st.sampled_from(["inline", "file", "none", "wrong"]), "faults": st.lists(_fault, max_size=2)}),
        "settings": st.fixed_dictionaries({}, optional={
            "keys": st.sampled_from(["issued", "issued-temporary"]), "access_key_id": _values,
            "secret_access_key": _values, "session_token": _values, "bearer_token": _values, "profile": _values,
            "auth_scheme_preference": _values, "signature_version": st.just("v4")}),
        "operation": st.sampled_from(["Converse", "InvokeModel", "ConverseStream", "ApplyGuardrail",
                                      "InvokeModelWithBidirectionalStream", "bedrock-agent-runtime:Retrieve", "Zz"]),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            scenario[key] = draw(strategy)
    return {"scenarios": [scenario]}


def _dump(document: Any) -> str:
    """YAML for ``document`` (written by the emitter, which needs no recursion for deep documents)."""
    events = list(_events(document, {}))
    return yaml.emit([yaml.StreamStartEvent(), yaml.DocumentStartEvent(), *events, yaml.DocumentEndEvent(),
                      yaml.StreamEndEvent()], allow_unicode=True)


def _events(value: Any, anchors: dict[int, str]) -> Any:
    """Serializer events for ``value``, iteratively; an object met again becomes an alias."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, yaml.Event):
            yield item
        elif isinstance(item, (list, dict)) and id(item) in anchors:
            yield yaml.AliasEvent(anchors[id(item)])
        elif isinstance(item, list):
            anchors[id(item)] = f"a{len(anchors)}"
            stack.append(yaml.SequenceEndEvent())
            stack.extend(reversed(item))
            yield yaml.SequenceStartEvent(anchors[id(item)], None, True, flow_style=len(item) < 3)
        elif isinstance(item, dict):
            anchors[id(item)] = f"a{len(anchors)}"
            stack.append(yaml.MappingEndEvent())
            for key, inner in reversed(list(item.items())):
                stack += [inner, key]
            yield yaml.MappingStartEvent(anchors[id(item)], None, True, flow_style=len(item) < 2)
        else:
            node = yaml.SafeDumper(None).represent_data(item)  # type: ignore[arg-type]
            yield yaml.ScalarEvent(None, node.tag, (node.tag == "tag:yaml.org,2002:str", False), node.value,
                                   style=node.style)


def _load(text: str) -> list[Any] | None:
    """Load: a list of scenarios, or ``None`` for a ScenarioFileError; anything else propagates."""
    try:
        return load_text(text, source="fuzz.bedrock.yaml")
    except ScenarioFileError as exc:
        refused = exc
    assert refused.problem and str(refused).startswith("fuzz.bedrock.yaml")
    return None


_INI = st.text(alphabet=st.one_of(st.sampled_from(list("[]=:;#\n\r\t ") + list("profiledefaultaws_secret")),
                                  st.characters()), max_size=300)
_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=10,
)
_documents = st.fixed_dictionaries({}, optional={k: _json_values for k in (
    "Code", "Message", "AccessKeyId", "SecretAccessKey", "Token", "Expiration", "Type", "LastUpdated")})




def _body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


_header_values = st.one_of(st.booleans(), st.integers(), st.uuids(), st.binary(max_size=40), hostile_text)
_headers = st.dictionaries(st.one_of(st.text(string.printable, min_size=1, max_size=20), hostile_text),
                           _header_values, max_size=5)

#: What each fuzzer draws (the bench draws the same).
GIVEN: dict[str, tuple[st.SearchStrategy[Any], ...]] = {
    "yaml-text": (hostile_text,),
    "yaml-structured": (yaml_documents(),),
    "yaml-mutated": (mutated_catalogue(),),
    "scenario-run": (scenarios(),),
    "ini": (st.one_of(_INI, hostile_text, st.binary(max_size=200)),),
    "documents": (st.one_of(st.binary(max_size=300), _json_values.map(_body), _documents.map(_body)),),
    "eventstream-roundtrip": (_headers, st.binary(max_size=500)),
    "eventstream-mutated": (_headers, st.binary(max_size=200),
                            st.lists(st.tuples(st.integers(0, 2**20), st.integers(1, 255)), min_size=1, max_size=4),
                            st.integers(0, 2**20)),
}


# -- the scenario loader --------------------------------------------------------------------------------


@settings(max_examples=EXAMPLES["yaml-text"], **_FUZZ)
@given(*GIVEN["yaml-text"])
@example("scenarios: [\ud800]")  # found by bench/fuzz_bounds.py: libyaml raised UnicodeEncodeError
def test_loader_on_any_text(text: str) -> None:
    _load(text)


@settings(max_examples=EXAMPLES["yaml-structured"], **_FUZZ)
@given(*GIVEN["yaml-structured"])
def test_loader_on_any_document(document: Any) -> None:
    _load(_dump(document))


@settings(max_examples=EXAMPLES["yaml-mutated"], **_FUZZ)
@given(*GIVEN["yaml-mutated"])
def test_loader_on_mutated_catalogue_files(text: str) -> None:
    _load(text)


@pytest.fixture(scope="module")
def runtime() -> Any:
    ledger = Ledger()
    with FakeBedrock(ledger=ledger) as bedrock, FakeImds(ledger=ledger) as imds, \
            FakeContainerCredentials(ledger=ledger) as container:
        yield Runtime(ledger, bedrock, imds, container)


@settings(max_examples=EXAMPLES["scenario-run"], **_FUZZ)
@given(*GIVEN["scenario-run"])
def test_a_scenario_that_loads_also_runs(runtime: Runtime, document: dict[str, Any]) -> None:
    """What the loader accepts, the run can use: prepare() and the reference chain raise nothing."""
    loaded = _load(_dump(document))
    assume(loaded is not None)
    assert loaded is not None
    (scenario,) = loaded
    with AwsEnv(ledger=runtime.ledger) as env:
        prepared = prepare(scenario, env, runtime)
        reference = resolve(operation=scenario.operation, settings=prepared.settings)
        observed = run_target("reference", prepared, runtime, reference)
    assert (observed.scheme is None) == (reference.error is not None)


# -- the INI parser and the chain over random files ------------------------------------------------------



@settings(max_examples=EXAMPLES["ini"], **_FUZZ)
@given(*GIVEN["ini"])
def test_ini_parser_and_chain_on_any_file(content: str | bytes) -> None:
    with AwsEnv() as env:
        data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
        env.credentials_path.write_bytes(data)
        env.config_path.write_bytes(data)
        for reader in (read_credentials_file, read_config_file):
            try:
                profiles = reader(env.credentials_path)
            except ConfigFileError as exc:
                profiles = exc
            assert isinstance(profiles, dict) or str(env.credentials_path) in str(profiles)
        result = resolve()  # a configuration problem is a Resolution with an error, never an exception
        assert (result.scheme is None) == (result.error is not None)


# -- credentials documents (IMDS and container) ---------------------------------------------------------------



@settings(max_examples=EXAMPLES["documents"], **_FUZZ)
@given(*GIVEN["documents"])
def test_credentials_documents(body: bytes) -> None:
    try:
        document = parse_credentials_document(body, "fuzz")
    except ChainError as exc:
        document = exc
    if isinstance(document, ChainError):
        assert str(document).startswith("fuzz: ")
    else:
        assert document.access_key_id and document.secret_access_key


# -- event-stream frames ---------------------------------------------------------------------------------------




def _decode(data: bytes) -> list[tuple[dict[str, Any], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(dict(message.headers), message.payload) for message in buffer]


@settings(max_examples=EXAMPLES["eventstream-roundtrip"], **_FUZZ)
@given(*GIVEN["eventstream-roundtrip"])
def test_every_frame_we_encode_decodes_to_what_we_meant(headers: dict[str, Any], payload: bytes) -> None:
    try:
        frame = encode_frame(headers, payload)
    except ValueError:  # a header value we cannot encode (an unpaired surrogate in a str); said, not sent
        assume(False)
        return
    ((decoded, decoded_payload),) = _decode(frame)
    assert decoded_payload == payload
    assert decoded == {k: v.bytes if isinstance(v, uuid.UUID) else v for k, v in headers.items()}


@settings(max_examples=EXAMPLES["eventstream-mutated"], **_FUZZ)
@given(*GIVEN["eventstream-mutated"])
def test_a_damaged_frame_fails_loudly_in_the_client_decoder(
    headers: dict[str, Any], payload: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    try:
        frame = bytearray(encode_frame(headers, payload))
    except ValueError:
        assume(False)
        return
    original = bytes(frame)
    for at, mask in flips:
        frame[at % len(frame)] ^= mask
    assume(bytes(frame) != original)  # two flips of one byte can cancel out
    cut %= len(frame) + 1
    try:
        messages = _decode(bytes(frame[:cut]))
    except ParserError:
        return  # damage is reported, as a client would see it
    assert messages == []  # or the frame is incomplete and the decoder waits for the rest
