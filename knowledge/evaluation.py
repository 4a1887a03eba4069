"""Measure answers against labelled questions (the dev-questions.jsonl format): one JSON object
a line with `q`, `lang`, `expected_article_ids` (empty: out of scope) and `answer_facts`.

cited@k: an expected article is among the first k sources; MRR: 1 / rank of the first
expected source; answer-fact recall: share of expected facts found in the answer text;
out-of-scope declined: share of out-of-scope questions answered with "don't know".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from knowledge.text import fold


@dataclass(frozen=True)
class LabelledQuestion:
    q: str
    lang: str
    expected_article_ids: tuple[str, ...]
    answer_facts: tuple[str, ...]

    @property
    def in_scope(self) -> bool:
        return bool(self.expected_article_ids)


@dataclass(frozen=True)
class Prediction:
    """What any answerer returned, reduced to what the metrics need."""

    answered: bool
    text: str
    source_ids: list[str]


@dataclass
class QuestionResult:
    q: str
    in_scope: bool
    answered: bool
    source_ids: list[str]
    rank: int | None
    facts_found: int
    facts_total: int
    latency_ms: float


@dataclass
class EvalReport:
    questions: int = 0
    in_scope: int = 0
    out_of_scope: int = 0
    cited_at_1: float = 0.0
    cited_at_3: float = 0.0
    mrr: float = 0.0
    answer_fact_recall: float = 0.0
    answered_in_scope: float = 0.0
    out_of_scope_declined: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    results: list[QuestionResult] = field(default_factory=list)

    def as_dict(self, with_results: bool = False) -> dict[str, object]:
        data = asdict(self)
        if not with_results:
            data.pop("results")
        return data

    def lines(self) -> list[str]:
        return [
            f"questions              {self.questions} ({self.in_scope} in scope, "
            f"{self.out_of_scope} out of scope)",
            f"cited@1                {self.cited_at_1:.3f}",
            f"cited@3                {self.cited_at_3:.3f}",
            f"MRR                    {self.mrr:.3f}",
            f"answer-fact recall     {self.answer_fact_recall:.3f}",
            f"answered in scope      {self.answered_in_scope:.3f}",
            f"out-of-scope declined  {self.out_of_scope_declined:.3f}",
            f"latency p50 / p95      {self.latency_p50_ms:.1f} / {self.latency_p95_ms:.1f} ms",
        ]


class BadQuestionsFile(ValueError):
    """The questions file is not one labelled JSON question a line."""


def read_questions(path: Path) -> list[LabelledQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(
                LabelledQuestion(
                    q=str(data["q"]),
                    lang=str(data.get("lang", "lt")),
                    expected_article_ids=tuple(data.get("expected_article_ids", ())),
                    answer_facts=tuple(data.get("answer_facts", ())),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise BadQuestionsFile(f"{path}:{number}: {error}") from error
    return questions


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[position]


def evaluate(
    answer: Callable[[str, str], Prediction], questions: Iterable[LabelledQuestion]
) -> EvalReport:
    """Ask every question once and score the answers."""
    report = EvalReport()
    latencies: list[float] = []
    cited1 = cited3 = reciprocal = 0.0
    facts_found = facts_total = answered_in_scope = declined = 0
    for question in questions:
        started = time.perf_counter()
        prediction = answer(question.q, question.lang)
        latency = (time.perf_counter() - started) * 1000
        latencies.append(latency)
        sources = prediction.source_ids if prediction.answered else []
        rank = next(
            (i + 1 for i, sid in enumerate(sources) if sid in question.expected_article_ids),
            None,
        )
        text = fold(prediction.text) if prediction.answered else ""
        found = sum(fold(fact) in text for fact in question.answer_facts)
        report.results.append(
            QuestionResult(
                question.q,
                question.in_scope,
                prediction.answered,
                list(prediction.source_ids),
                rank,
                found,
                len(question.answer_facts),
                round(latency, 2),
            )
        )
        report.questions += 1
        if question.in_scope:
            report.in_scope += 1
            answered_in_scope += prediction.answered
            cited1 += rank == 1
            cited3 += rank is not None and rank <= 3
            reciprocal += 1.0 / rank if rank else 0.0
            facts_found += found
            facts_total += len(question.answer_facts)
        else:
            report.out_of_scope += 1
            declined += not prediction.answered
    if report.in_scope:
        report.cited_at_1 = round(cited1 / report.in_scope, 4)
        report.cited_at_3 = round(cited3 / report.in_scope, 4)
        report.mrr = round(reciprocal / report.in_scope, 4)
        report.answered_in_scope = round(answered_in_scope / report.in_scope, 4)
    if facts_total:
        report.answer_fact_recall = round(facts_found / facts_total, 4)
    if report.out_of_scope:
        report.out_of_scope_declined = round(declined / report.out_of_scope, 4)
    report.latency_p50_ms = round(percentile(latencies, 0.5), 2)
    report.latency_p95_ms = round(percentile(latencies, 0.95), 2)
    return report
