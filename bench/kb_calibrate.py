"""Refit the knowledge base's two small models on the tune part of the calibration questions.

    .venv/bin/python bench/kb_calibrate.py [--declined 0.95] [--tune-only] [--show 0.5]

Reads only the lines of knowledge/demo/calibration-questions.jsonl marked "split": "tune" (the
held-out lines are never read here) and, unless --tune-only, the two older labelled sets
(dev-questions.jsonl, member-questions.jsonl: training data like the tune lines, and the
short typo-ridden questions members send). For every question it takes the search's hits on the demo
articles and their evidence (`knowledge.evidence`), then fits, with scikit-learn's logistic
regression on standardised features:

- the ranking model, on the hits of in-scope questions: is this hit an expected article?
- the answer model, on the hit the ranking chooses for each question (the member's language
  first): is it an expected article of an in-scope question? Out-of-scope questions are its
  negatives. Its bias is then moved so that the 0.5 default threshold falls where the tune
  questions' out-of-scope share declined reaches --declined (default 0.95), if it can.

It prints five-fold cross-validated figures on the tune lines (questions grouped, so no
question is seen by the model that scores it; the older sets are in every training fold) and
the constants to paste into knowledge/evidence.py. All figures it prints are training
figures: these questions chose the features and the weights. The bias shift reads the
out-of-scope questions of all the sets fitted on.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass

import numpy as np
from kb_eval import demo_index  # bench/ is on the path when a bench runs
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from knowledge.answers import gather, on_the_place, options, preferred
from knowledge.demo import CALIBRATION_QUESTIONS, DEV_QUESTIONS, MEMBER_QUESTIONS
from knowledge.evaluation import read_questions
from knowledge.evidence import ANSWER_FEATURES, RANK_FEATURES, Evidence
from knowledge.index import KnowledgeIndex


@dataclass
class Case:
    question: str
    language: str
    expected: tuple[str, ...]
    evidence: list[Evidence]

    @property
    def in_scope(self) -> bool:
        return bool(self.expected)


def old_cases(index: KnowledgeIndex) -> list[Case]:
    """The dev and member questions, as cases."""
    cases = []
    for path in (DEV_QUESTIONS, MEMBER_QUESTIONS):
        for labelled in read_questions(path):
            _, evidence = gather(index, labelled.q, labelled.lang)
            evidence = on_the_place(evidence, labelled.q)
            cases.append(Case(labelled.q, labelled.lang, labelled.expected_article_ids, evidence))
    return cases


def tune_cases(index: KnowledgeIndex) -> list[Case]:
    cases = []
    for line in CALIBRATION_QUESTIONS.read_text(encoding="utf-8").splitlines():
        data = json.loads(line) if line.strip() else None
        if not data or data.get("split") != "tune":
            continue
        question, language = str(data["q"]), str(data["lang"])
        _, evidence = gather(index, question, language)
        evidence = on_the_place(evidence, question)
        cases.append(Case(question, language, tuple(data["expected_article_ids"]), evidence))
    return cases


def fit(rows: list[list[float]], labels: list[int]) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, returned as raw weights and bias."""
    x = np.asarray(rows, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, labels)
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (weights * mean).sum())
    return weights, bias


def probability(values: list[float], weights: np.ndarray, bias: float) -> float:
    z = bias + float(np.dot(values, weights))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def rank_rows(case: Case) -> list[list[float]]:
    return [[e.features()[name] for name in RANK_FEATURES] for e in case.evidence]


def answer_row(evidence: Evidence, rank_p: float) -> list[float]:
    features = evidence.features()
    return [features[name] for name in ANSWER_FEATURES[:-1]] + [rank_p]


def fit_both(train: list[Case]) -> tuple[np.ndarray, float, np.ndarray, float]:
    rows, labels = [], []
    for case in train:
        if case.in_scope:
            rows += rank_rows(case)
            labels += [int(e.article_id in case.expected) for e in case.evidence]
    rank_w, rank_b = fit(rows, labels)
    rows, labels = [], []
    for case in train:
        if not case.evidence:
            continue

        def rank(evidence: Evidence) -> float:
            return probability([evidence.features()[n] for n in RANK_FEATURES], rank_w, rank_b)

        pick, best = preferred(case.evidence, rank)
        for evidence in (pick, best) if pick is not best else (pick,):
            rows.append(answer_row(evidence, rank(evidence)))
            labels.append(int(case.in_scope and evidence.article_id in case.expected))
    answer_w, answer_b = fit(rows, labels)
    return rank_w, rank_b, answer_w, answer_b


@dataclass
class Scored:
    """What `answers.choose` sees for one case: the preferred hit and the best one."""

    case: Case
    options: list[tuple[float, bool]]  # (confidence, is an expected article), in that order

    def decision(self, threshold: float) -> tuple[float, bool] | None:
        return next((option for option in self.options if option[0] >= threshold), None)

    @property
    def confidence(self) -> float:
        return max((p for p, _ in self.options), default=0.0)


def scores(cases: list[Case], models: tuple[np.ndarray, float, np.ndarray, float]) -> list[Scored]:
    rank_w, rank_b, answer_w, answer_b = models

    def rank(evidence: Evidence) -> float:
        return probability([evidence.features()[n] for n in RANK_FEATURES], rank_w, rank_b)

    def confidence(evidence: Evidence) -> float:
        return probability(answer_row(evidence, rank(evidence)), answer_w, answer_b)

    out = []
    for case in cases:
        tried = options(case.evidence, rank, confidence) if case.evidence else []
        out.append(Scored(case, [(p, e.article_id in case.expected) for e, p in tried]))
    return out


def figures(scored: list[Scored], threshold: float) -> tuple[float, float]:
    """cited@1 of the in-scope cases and the share of out-of-scope cases declined."""
    cited = declined = in_scope = 0
    for item in scored:
        decision = item.decision(threshold)
        if item.case.in_scope:
            in_scope += 1
            cited += decision is not None and decision[1]
        else:
            declined += decision is None
    return cited / max(in_scope, 1), declined / max(len(scored) - in_scope, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declined", type=float, default=0.95)
    parser.add_argument("--tune-only", action="store_true", help="fit on the tune lines only")
    parser.add_argument("--show", type=float, help="list cross-validated misses at this threshold")
    args = parser.parse_args()
    _, index = demo_index("kb-calibrate-")
    cases = tune_cases(index)
    print(f"{len(cases)} tune questions ({sum(c.in_scope for c in cases)} in scope)")
    extra = [] if args.tune_only else old_cases(index)
    if extra:
        print(f"and {len(extra)} dev and member questions in every training fold")

    groups = np.arange(len(cases))
    held: list = []
    for train, test in GroupKFold(5).split(groups, groups, groups):
        models = fit_both([cases[i] for i in train] + extra)
        held += scores([cases[i] for i in test], models)
    print("five-fold cross-validation on the tune questions (threshold: cited@1, declined):")
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        cited, declined = figures(held, threshold)
        print(f"  {threshold:.1f}: {cited:.3f} {declined:.3f}")
    grid = [figures(held, t / 200) for t in range(1, 200)]
    for floor in (0.85, 0.9, 0.95):
        best = max((c for c, d in grid if d >= floor), default=0.0)
        print(f"  best cited@1 with at least {floor:.0%} declined: {best:.3f}")

    if args.show is not None:
        for item in held:
            decision, question = item.decision(args.show), item.case.question
            if item.case.in_scope and not (decision and decision[1]):
                picked = "declined" if decision is None else "wrong article"
                print(f"  in scope, {picked} ({item.confidence:.2f}): {question}")
            elif not item.case.in_scope and decision is not None:
                print(f"  out of scope, answered ({decision[0]:.2f}): {question}")

    rank_w, rank_b, answer_w, answer_b = fit_both(cases + extra)
    fitted = scores(cases + extra, (rank_w, rank_b, answer_w, answer_b))
    # move the bias so that 0.5 is where the wanted share of out-of-scope questions is declined
    out = sorted(item.confidence for item in fitted if not item.case.in_scope)
    cut = out[min(len(out) - 1, math.ceil(args.declined * len(out)) - 1)] if out else 0.5
    cut = min(max(cut, 1e-6), 1 - 1e-6)
    shift = -math.log(cut / (1 - cut)) - 1e-3
    cited, declined = figures(fitted, cut + 1e-9)
    print(
        f"all tune questions, threshold at 0.5 after the shift: cited@1 {cited:.3f}, "
        f"declined {declined:.3f}"
    )

    def constants(name: str, weights: np.ndarray, bias: float) -> str:
        values = ", ".join(f"{w:.4g}" for w in weights)
        return f"{name}_WEIGHTS = ({values})\n{name}_BIAS = {bias:.4g}"

    print(constants("RANK", rank_w, rank_b))
    print(constants("ANSWER", answer_w, answer_b + shift))
    print(f"(unshifted answer bias {answer_b:.4g})")


if __name__ == "__main__":
    main()
