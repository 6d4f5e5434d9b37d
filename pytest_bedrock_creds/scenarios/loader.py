"""Load scenario files: ``yaml.compose`` (safe) once, for the values and their line numbers.

Every problem (invalid YAML, an unknown key, a wrong type, a semantic mistake) raises
:class:`ScenarioFileError` naming the file, the line and the field.

A hostile file stays cheap: before anything walks the document, the text's size
(:data:`MAX_CHARS`), its nesting (:data:`MAX_DEPTH`) and its number of values
(:data:`MAX_NODES`) are read from the parser's events, which need no recursion; then the
number of values once aliases are expanded is counted without expanding them, so a
"billion laughs" file is refused in milliseconds, and an alias used inside its own anchor
is refused. Each is a :class:`ScenarioFileError` at a line. libyaml's parser is used when
PyYAML has it (it is about 20 times faster), else PyYAML's own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from pytest_bedrock_creds.ledger import SOURCE_PREFIXES, is_source_label
from pytest_bedrock_creds.scenarios import policy
from pytest_bedrock_creds.scenarios.schema import (
    CHAIN_PLACEHOLDER,
    FOLLOWS,
    PLACEHOLDER,
    SCHEMA,
    TARGETS,
    ContainerSpec,
    Expectation,
    ImdsSpec,
    LoginSpec,
    ProcessSpec,
    Scenario,
    SettingsSpec,
    SsoSpec,
    StsSpec,
)

__all__ = ["MAX_CHARS", "MAX_DEPTH", "MAX_NODES", "ScenarioFileError", "load_file", "load_text"]

#: The largest scenario file read (characters); the catalogue's largest has 17 000.
MAX_CHARS = 256 * 1024
#: The deepest nesting of mappings and lists; a scenario needs 6.
MAX_DEPTH = 64
#: The most values (scalars, mappings, lists) a document may have, also once its aliases are
#: expanded; the catalogue's largest file has 1 000 (about 17 000 in a file of MAX_CHARS).
MAX_NODES = 20_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]


class ScenarioFileError(Exception):
    """A scenario file that cannot be used: ``path``, ``line`` (1-based or ``None``), ``field``, ``problem``."""

    def __init__(self, path: str, line: int | None, field: str, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")
        self.path, self.line, self.field, self.problem = path, line, field, problem

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.path, self.line, self.field, self.problem))


def _lines(node: yaml.Node | None, path: Path_ = ()) -> Iterator[tuple[Path_, int]]:
    """(path, 1-based line) for every node of the composed document; keys map to the key's line.

    Only called on a document that :func:`_check_size` accepted: finite, at most :data:`MAX_NODES`
    paths, at most :data:`MAX_DEPTH` levels of recursion."""
    if node is None:
        return
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, str(key.value))
            yield sub, key.start_mark.line + 1
            for inner_path, line in _lines(value, sub):
                if inner_path != sub:
                    yield inner_path, line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _lines(item, (*path, index))


class _Validator:
    """The subset of JSON Schema that ``SCHEMA`` uses, with errors at a line."""

    def __init__(self, source: str, lines: dict[Path_, int]) -> None:
        self.source, self.lines = source, lines

    def line(self, path: Path_) -> int | None:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)

    def fail(self, path: Path_, problem: str) -> ScenarioFileError:
        return ScenarioFileError(self.source, self.line(path), policy.dotted(path), problem)

    def check(self, value: Any, schema: dict[str, Any], path: Path_) -> None:
        if "anyOf" in schema:
            errors = []
            for option in schema["anyOf"]:
                try:
                    self.check(value, option, path)
                    return
                except ScenarioFileError as exc:
                    errors.append(exc.problem)
            raise self.fail(path, "matches none of the allowed forms: " + "; or ".join(errors))
        kinds = schema.get("type")
        if kinds is not None:
            allowed = [kinds] if isinstance(kinds, str) else list(kinds)
            if not any(_is(value, kind) for kind in allowed):
                raise self.fail(path, f"expected {' or '.join(allowed)}, got {_typename(value)} {_shown(value)}")
        if "enum" in schema and value not in schema["enum"]:
            raise self.fail(path, f"{_shown(value)} is not one of {schema['enum']}")
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                raise self.fail(path, "must not be empty")
            self._match(value, schema, path)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._bounds(value, schema, path)
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0):
                raise self.fail(path, f"needs at least {schema['minItems']} item(s)")
            for index, item in enumerate(value):
                self.check(item, schema.get("items", {}), (*path, index))
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", ()):
                if name not in value:
                    raise self.fail(path, f"missing required key {name!r}")
            names = schema.get("propertyNames", {})
            for key, item in value.items():
                if not isinstance(key, str):
                    raise self.fail(path, f"keys must be strings, got {_shown(key)}")
                if "enum" in names and key not in names["enum"]:
                    raise self.fail((*path, key), f"unknown name {_shown(key)}; expected one of {names['enum']}")
                self._match(key, names, (*path, key), what="name ")
                if key in props:
                    self.check(item, props[key], (*path, key))
                elif schema.get("additionalProperties", True) is False:
                    known = ", ".join(sorted(props))
                    raise self.fail((*path, key), f"unknown key {key!r}; allowed: {known}")
                elif isinstance(schema.get("additionalProperties"), dict):
                    self.check(item, schema["additionalProperties"], (*path, key))


    def _match(self, text: str, schema: dict[str, Any], path: Path_, what: str = "") -> None:
        if "pattern" in schema and not re.search(schema["pattern"], text):
            hint = f" ({schema['$comment']})" if "$comment" in schema else ""
            raise self.fail(path, f"{what}{_shown(text)} does not match {schema['pattern']}{hint}")

    def _bounds(self, number: float, schema: dict[str, Any], path: Path_) -> None:
        if isinstance(number, float) and not math.isfinite(number):
            raise self.fail(path, f"must be a finite number, not {number}")
        if "minimum" in schema and number < schema["minimum"]:
            raise self.fail(path, f"must be at least {schema['minimum']}, not {number}")
        if "maximum" in schema and number > schema["maximum"]:
            raise self.fail(path, f"must be at most {schema['maximum']}, not {number}")


def _shown(value: Any) -> str:
    """``repr(value)`` cut to a length an error message can carry."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "object": dict, "array": list}[kind])


def _typename(value: Any) -> str:
    return {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string",
            dict: "mapping", list: "list"}.get(type(value), type(value).__name__)


def load_file(path: str | Path, *, display: str | None = None) -> list[Scenario]:
    """Load and validate one scenario file; ``display`` is the path shown in errors."""
    shown = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(shown, None, "", f"cannot read the file: {exc}") from None
    return load_text(text, source=shown, stem=Path(path).name)


def load_text(text: str, *, source: str = "<string>", stem: str = "scenarios") -> list[Scenario]:
    if len(text) > MAX_CHARS:
        raise ScenarioFileError(source, None, "", f"the file has {len(text)} characters; a scenario file may have "
                                f"at most {MAX_CHARS}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # only a str made in code can hold one; libyaml would raise it raw
        line = text.count("\n", 0, exc.start) + 1
        raise ScenarioFileError(source, line, "", f"the text holds {exc.object[exc.start]!r}, a lone surrogate, "
                                "which no YAML file can") from None
    try:
        _check_events(text, source)
        node = yaml.compose(text, Loader=_Loader)
        _check_size(node, source)
        data = _construct(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
        raise ScenarioFileError(source, mark.line + 1 if mark else None, "", problem) from None
    validator = _Validator(source, dict(_lines(node)))
    if data is None:
        raise validator.fail((), "the file is empty; expected a mapping with 'scenarios'")
    validator.check(data, SCHEMA, ())
    family = data.get("family") or _family_of(stem)
    out: list[Scenario] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["scenarios"]):
        path: Path_ = ("scenarios", index)
        scenario = _build(raw, family, source, validator, path)
        if scenario.name in seen:
            raise validator.fail((*path, "name"), f"duplicate scenario name {scenario.name!r} "
                                 f"(first at line {seen[scenario.name]})")
        seen[scenario.name] = scenario.line
        out.append(scenario)
    return out


def _check_events(text: str, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and more than :data:`MAX_NODES` values,
    reading the parser's events (no recursion, no nodes built)."""
    depth = values = 0
    for event in yaml.parse(text, Loader=_Loader):
        problem = None
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
            values += 1
            if values > MAX_NODES:
                problem = f"more than {MAX_NODES} values"
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                problem = f"mappings and lists nested deeper than {MAX_DEPTH} levels"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if problem is not None:
            raise ScenarioFileError(source, event.start_mark.line + 1 if event.start_mark else None, "", problem)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value)  # a SequenceNode


def _check_size(root: yaml.Node | None, source: str) -> None:
    """Count the values of the document with its aliases expanded, without expanding them (each
    collection's count is computed once), and refuse an alias used inside its own anchor."""
    if not isinstance(root, yaml.CollectionNode):
        return
    sizes: dict[int, int] = {}  # id(collection) -> its values, itself included (capped)
    entered: set[int] = set()
    first_too_big: yaml.Node | None = None
    stack: list[tuple[yaml.CollectionNode, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            total = 1 + sum(sizes[id(c)] if isinstance(c, yaml.CollectionNode) else 1 for c in _children(node))
            sizes[key] = min(total, MAX_NODES + 1)
            if total > MAX_NODES and first_too_big is None:
                first_too_big = node
            continue
        if key in sizes:
            continue
        if key in entered:  # entered and not finished: it is its own ancestor
            raise ScenarioFileError(source, node.start_mark.line + 1, "",
                                    "an alias refers to an anchor that contains it (a recursive document)")
        entered.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if isinstance(c, yaml.CollectionNode) and id(c) not in sizes)
    if first_too_big is not None:
        raise ScenarioFileError(source, first_too_big.start_mark.line + 1, "", f"more than {MAX_NODES} values "
                                "here once the aliases are expanded (aliases that multiply: a 'billion laughs' file?)")


def _construct(node: yaml.Node | None) -> Any:
    """The document's values, built from the composed (and checked) node with the safe constructor."""
    if node is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _family_of(filename: str) -> str:
    stem = filename
    for suffix in (".bedrock.yaml", ".bedrock.yml", ".yaml", ".yml"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem.removeprefix("bedrock_creds_") or "scenarios"


def _build(raw: dict[str, Any], family: str, source: str, v: _Validator, path: Path_) -> Scenario:
    env: dict[str, str | None] = dict(raw.get("env") or {})
    _check_placeholders(raw, v, path)
    for where, problem in policy.problems(raw, path):
        if where and isinstance(where[-1], str) and where[-1].startswith("line "):
            where, problem = where[:-1], f"{where[-1]} of the text: {problem}"
        raise v.fail(where, problem)
    files = dict(raw.get("files") or {})
    file_keys = frozenset(policy.scan_files(files, ()).keys)
    imds_raw = raw.get("imds")
    imds = None
    if imds_raw is not None:
        roles_raw = imds_raw.get("roles") or []
        roles = {r: {} for r in roles_raw} if isinstance(roles_raw, list) else dict(roles_raw)
        imds = ImdsSpec(roles={k: dict(o or {}) for k, o in roles.items()}, v1=bool(imds_raw.get("v1", False)),
                        faults=tuple(imds_raw.get("faults") or ()))
    container_raw = raw.get("container")
    container = None if container_raw is None else ContainerSpec(
        credentials=container_raw.get("credentials", "issued"), token=container_raw.get("token", "inline"),
        host=container_raw.get("host", "127.0.0.1"), faults=tuple(container_raw.get("faults") or ()))
    settings = SettingsSpec(**(raw.get("settings") or {}))
    if settings.keys and (settings.access_key_id or settings.secret_access_key):
        raise v.fail((*path, "settings", "keys"), "give 'keys' or access_key_id/secret_access_key, not both")
    expect = _expectation(raw["expect"], v, (*path, "expect"), base=True)
    by_target: dict[str, Expectation] = {}
    entries = raw.get("expect_by_target") or {}
    for target, entry in entries.items():
        where = (*path, "expect_by_target", target)
        if target == "reference":
            raise v.fail(where, "the reference chain is what 'expect' describes; it has no divergence")
        exp = _expectation(entry, v, where, base=False)
        followed = FOLLOWS.get(target, ("", ""))[0]
        if exp.same_outcome(expect) and followed not in entries:
            raise v.fail(where, "is the same as 'expect'; a divergence must differ (restating 'expect' is for a "
                         f"target that departs from the one it follows: {followed or 'this target follows none'})")
        by_target[target] = exp
    unknown = set(by_target) - set(TARGETS)
    if unknown:  # pragma: no cover - the schema's propertyNames catches this first
        raise v.fail((*path, "expect_by_target"), f"unknown target(s) {sorted(unknown)}")
    sts_raw, sso_raw = raw.get("sts"), raw.get("sso")
    sts = None if sts_raw is None else StsSpec(
        roles={k: dict(o or {}) for k, o in (sts_raw.get("roles") or {}).items()},
        faults=tuple(sts_raw.get("faults") or ()))
    sso = None if sso_raw is None else SsoSpec(
        tokens={k: dict(o or {}) for k, o in (sso_raw.get("tokens") or {}).items()},
        deny=tuple(sso_raw.get("deny") or ()), faults=tuple(sso_raw.get("faults") or ()))
    for profile, token in (sso.tokens.items() if sso is not None else ()):
        if "session" in token and "start_url" in token:
            raise v.fail((*path, "sso", "tokens", profile), "give 'session' or 'start_url' (legacy), not both")
    for index, fault in enumerate(sts.faults if sts is not None else ()):
        if (fault["kind"] == "error") != ("code" in fault):
            raise v.fail((*path, "sts", "faults", index), "'code' goes with kind 'error' (an AWS error code), and only "
                         "there")
    processes = {name: ProcessSpec(**spec) for name, spec in (raw.get("processes") or {}).items()}
    login = {name: LoginSpec(**spec) for name, spec in (raw.get("login") or {}).items()}
    return Scenario(
        name=raw["name"], family=raw.get("family") or family, path=source, line=v.line(path) or 1,
        doc=raw.get("doc", ""), env=env, env_keys=raw.get("env_keys"), files=files, imds=imds,
        container=container, settings=settings, operation=raw.get("operation", "Converse"),
        sts=sts, sso=sso, processes=processes, login=login,
        expect=expect, expect_by_target=by_target, file_keys=file_keys,
        mentions_region=("region" in file_keys or settings.region is not None
                         or bool({"AWS_REGION", "AWS_DEFAULT_REGION"} & set(env))),
    )


def _expectation(entry: dict[str, Any], v: _Validator, path: Path_, *, base: bool) -> Expectation:
    skip = bool(entry.get("skip", False))
    has_error = "error" in entry
    has_ok = "scheme" in entry or "source" in entry
    if skip and (has_error or has_ok):
        raise v.fail(path, "'skip' takes only 'reason' (and 'key')")
    if not skip:
        if has_ok and not ("scheme" in entry and "source" in entry):
            raise v.fail(path, "give 'scheme' and 'source' together (the identity that arrived)")
        if not has_error and not has_ok:
            raise v.fail(path, "needs 'scheme' and 'source', or 'error', or all three (a request the fake rejected)")
        if has_ok and not base and entry["source"].startswith("<"):
            pass  # what a target really sends (an unknown key) is a valid observation
        elif has_ok:
            _check_label(entry["source"], v, (*path, "source"), observed_ok=not base)
    via_raw = entry.get("via", ())
    via = (via_raw,) if isinstance(via_raw, str) else tuple(via_raw)
    if via and "scheme" not in entry:
        raise v.fail((*path, "via"), "'via' describes the identity that arrived: give it with 'scheme' and 'source'")
    for index, label in enumerate(via):
        _check_label(label, v, (*path, "via", index) if isinstance(via_raw, list) else (*path, "via"))
    return Expectation(scheme=entry.get("scheme"), source=entry.get("source"), error=entry.get("error"),
                       signature_valid=entry.get("signature_valid"), reason=entry.get("reason"), skip=skip,
                       key=entry.get("key"), region=entry.get("region"), via=via)


def _check_label(label: str, v: _Validator, path: Path_, *, observed_ok: bool = False) -> None:
    if observed_ok and label == "bearer:<empty>":
        return
    if not is_source_label(label):
        raise v.fail(path, f"{label!r} is not a source label; expected one of "
                     + ", ".join(p + "<name>" if p.endswith(":") else p for p in SOURCE_PREFIXES)
                     + ", optionally followed by #tag")


#: Sources whose credentials only a fake issues (STS, the portal, the login cache): a scenario cannot write them.
_FAKE_ISSUED = ("assume-role:", "web-identity:", "sso:", "login:")


def _check_placeholders(raw: dict[str, Any], v: _Validator, path: Path_) -> None:
    for key in ("env", "files", "settings", "processes"):
        for where, text in policy.strings(raw.get(key), (*path, key)):
            for match in PLACEHOLDER.finditer(text):
                kind, label = match.group(1), match.group(2)
                _check_label(label, v, where)
                if kind == "bearer" and label not in ("bearer:env", "bearer:settings"):
                    raise v.fail(where, f"{match.group(0)}: bearer tokens go to bearer:env or bearer:settings")
                if kind != "bearer" and label.startswith("bearer:"):
                    raise v.fail(where, f"{match.group(0)}: {label} holds bearer tokens, not keys")
                if label.startswith(_FAKE_ISSUED):
                    raise v.fail(where, f"{match.group(0)}: {label} credentials are issued by the fakes (STS, the SSO "
                                 "portal, the login cache) when a client asks; a scenario cannot write them")
                if key == "processes" and not label.startswith("process:"):
                    raise v.fail(where, f"{match.group(0)}: a credential process prints process:<name> credentials")
            for match in CHAIN_PLACEHOLDER.finditer(text):
                if (match.group(1) == "account-id") != (match.group(2) is None):
                    raise v.fail(where, f"{match.group(0)}: {{account-id}} takes no name; the others need one "
                                 "({role-arn:<role>}, {process:<name>} ...)")
            leftover = PLACEHOLDER.sub("", text)
            if re.search(r"\{(key|secret|session|bearer):", leftover):
                raise v.fail(where, f"malformed placeholder in {text!r}; the form is {{key|secret|session|bearer:"
                             "<source>[#n]}")
