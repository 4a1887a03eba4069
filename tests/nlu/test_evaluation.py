"""The figures `alytus nlu test` reports, computed on predictions we can check by hand."""

from __future__ import annotations

import pytest

from nlu.evaluation import Predictions, report


def test_in_scope_accuracy_oos_recall_and_confusions() -> None:
    gold = ["a", "a", "b", "b", "out_of_scope", "out_of_scope"]
    predicted = ["a", "b", "b", "b", "out_of_scope", "a"]
    results = report(Predictions(gold, predicted, [None] * 6))
    assert results["in_scope_accuracy"] == pytest.approx(3 / 4)
    assert results["oos_recall"] == pytest.approx(1 / 2)
    assert results["accuracy"] == pytest.approx(4 / 6)
    assert results["per_intent"]["b"]["recall"] == 1.0
    assert results["per_intent"]["b"]["precision"] == pytest.approx(2 / 3)
    assert {"intent": "a", "predicted": "b", "count": 1} in results["confused"]


def test_no_out_of_scope_examples_means_no_oos_recall() -> None:
    results = report(Predictions(["a", "b"], ["a", "b"], [None, None]))
    assert results["oos_recall"] is None
    assert results["macro_f1"] == 1.0
