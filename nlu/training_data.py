"""Reading Rasa 3.x NLU training data (YAML): intents, entity annotations, synonyms, lookups,
regexes. The YAML files are the source of truth; everything the classifier learns comes from here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlu.text import fold

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"
# Rasa's annotation: [text](entity), [text](entity:value), [text]{"entity": .., "value": ..}
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)|(?P<json>\{[^}]+?\}))"
)


class TrainingDataError(ValueError):
    """Training data that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity inside an example, offsets into the plain text."""

    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    """One training sentence with its intent and where it was written."""

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    source: str = ""


@dataclass
class TrainingData:
    """Everything read from one or more Rasa NLU files."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # folded alias -> canonical value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        return sorted({example.intent for example in self.examples})

    def extend(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for name, values in other.lookups.items():
            self.lookups.setdefault(name, []).extend(values)
        for name, patterns in other.regexes.items():
            self.regexes.setdefault(name, []).extend(patterns)
        self.warnings.extend(other.warnings)


def parse_annotated(line: str) -> tuple[str, tuple[EntitySpan, ...]]:
    """Strip Rasa entity annotations from an example, keeping the entities' positions."""
    plain: list[str] = []
    entities: list[EntitySpan] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION.finditer(line):
        before = line[cursor : match.start()]
        plain.append(before)
        length += len(before)
        text = match.group("text")
        entity, value = match.group("entity"), match.group("value")
        if match.group("json"):
            try:
                spec = json.loads(match.group("json"))
            except json.JSONDecodeError as error:
                raise ValueError(f"bad entity annotation {match.group()!r}: {error}") from error
            entity, value = spec.get("entity"), spec.get("value")
        if entity:
            entities.append(EntitySpan(entity, str(value or text), length, length + len(text)))
        plain.append(text)
        length += len(text)
        cursor = match.end()
    plain.append(line[cursor:])
    return "".join(plain), tuple(entities)


def _example_lines(node: yaml.Node) -> Iterator[tuple[str, int]]:
    """Example strings with their 0-based line numbers in the file."""
    if isinstance(node, yaml.ScalarNode):
        # a block scalar starts on the line after "examples: |"
        first = node.start_mark.line + (1 if node.style in ("|", ">") else 0)
        for offset, raw in enumerate(str(node.value).splitlines()):
            stripped = raw.strip()
            if stripped.startswith("- "):
                yield stripped[2:].strip(), first + offset
            elif stripped == "-":
                continue
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode):
                yield str(item.value), item.start_mark.line
            elif isinstance(item, yaml.MappingNode):
                fields = {key.value: value for key, value in item.value}
                text = fields.get("text")
                if isinstance(text, yaml.ScalarNode):
                    yield str(text.value), text.start_mark.line


def _block_fields(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {str(key.value): value for key, value in node.value}


def _read_file(path: Path) -> TrainingData:
    data = TrainingData()
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise TrainingDataError(f"{path}{line}: malformed YAML: {error.problem}") from error
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise TrainingDataError(f"{path}: cannot read: {error}") from error
    if root is None:
        return data
    if not isinstance(root, yaml.MappingNode):
        raise TrainingDataError(f"{path}:{root.start_mark.line + 1}: expected a mapping")
    nlu = _block_fields(root).get("nlu")
    if nlu is None:
        return data
    if not isinstance(nlu, yaml.SequenceNode):
        raise TrainingDataError(f"{path}:{nlu.start_mark.line + 1}: 'nlu' must be a list")
    for block in nlu.value:
        where = f"{path}:{block.start_mark.line + 1}"
        if not isinstance(block, yaml.MappingNode):
            raise TrainingDataError(f"{where}: each 'nlu' item must be a mapping")
        fields = _block_fields(block)
        examples = fields.get("examples")
        if examples is None:
            raise TrainingDataError(f"{where}: block without 'examples'")
        kinds = [kind for kind in ("intent", "synonym", "lookup", "regex") if kind in fields]
        if len(kinds) != 1 or not isinstance(fields[kinds[0]], yaml.ScalarNode):
            raise TrainingDataError(f"{where}: expected one of intent/synonym/lookup/regex")
        kind, name = kinds[0], str(fields[kinds[0]].value)
        lines = list(_example_lines(examples))
        if kind == "intent":
            for line, number in lines:
                try:
                    plain, entities = parse_annotated(line)
                except ValueError as error:
                    raise TrainingDataError(f"{path}:{number + 1}: {error}") from error
                if plain.strip():
                    source = f"{path}:{number + 1}"
                    data.examples.append(Example(plain.strip(), name, entities, source))
        elif kind == "synonym":
            for line, _ in lines:
                data.synonyms[fold(line)] = name
        elif kind == "lookup":
            data.lookups.setdefault(name, []).extend(line for line, _ in lines)
        else:
            for line, number in lines:
                try:
                    re.compile(line)
                except re.error as error:
                    raise TrainingDataError(f"{path}:{number + 1}: bad regex: {error}") from error
            data.regexes.setdefault(name, []).extend(line for line, _ in lines)
    return data


def data_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files under `paths` (files kept as given, folders searched recursively)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.rglob("*.yml"), *path.rglob("*.yaml")]))
        elif path.exists():
            files.append(path)
        else:
            raise TrainingDataError(f"{path}: no such file or folder")
    return files


def fingerprint(paths: Iterable[Path], *, salt: str = "") -> str:
    """sha256 of the training files' names and contents: the key of a cached model."""
    digest = hashlib.sha256(salt.encode())
    for path in data_files(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _conflict_warnings(examples: list[Example]) -> list[str]:
    """One warning per example written under two or more intents of one classifier (the
    answers to the bot's questions, "answer_*", are read apart from the other intents:
    "taip" may be `affirm` and the consent question's yes)."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    for example in examples:
        group = "answer" if example.intent.startswith("answer_") else "intent"
        seen[f"{group}:{fold(example.text)}"].setdefault(example.intent, example.source)
    warnings = []
    for key, intents in seen.items():
        text = key.split(":", 1)[1]
        if len(intents) > 1:
            where = ", ".join(f"{intent} ({source})" for intent, source in sorted(intents.items()))
            warnings.append(f"example {text!r} is under several intents: {where}")
    return warnings


def load_training_data(paths: Iterable[Path]) -> TrainingData:
    """Read every Rasa NLU file under `paths`; conflicting examples are logged as warnings."""
    data = TrainingData()
    for path in data_files(paths):
        data.extend(_read_file(path))
    data.warnings.extend(_conflict_warnings(data.examples))
    for warning in data.warnings:
        log.warning(warning)
    return data
