"""Cross-validation of the embedded NLU on our own Lithuanian and English data (run on demand).

    python bench/nlu_crossval.py [--folds 5] [--data nlu/data] [--cache-dir DIR]

Prints macro F1 and accuracy for all examples and per language, and the most confused intents.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.embeddings import QueryEmbedder  # noqa: E402
from nlu.evaluation import cross_validate  # noqa: E402
from nlu.parser import DEFAULT_DATA_PATHS  # noqa: E402
from nlu.training_data import load_training_data  # noqa: E402


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--folds", type=int, default=5)
    arguments.add_argument("--data", type=Path, action="append", default=None)
    arguments.add_argument("--cache-dir", type=Path, default=None)
    options = arguments.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    cache_dir = options.cache_dir or Path(tempfile.mkdtemp(prefix="nlu-crossval-"))
    data = load_training_data(options.data or list(DEFAULT_DATA_PATHS))
    started = time.perf_counter()
    reports = cross_validate(data, QueryEmbedder(cache_dir / "embeddings.npz"), folds=options.folds)
    seconds = time.perf_counter() - started
    print(
        f"{options.folds}-fold cross-validation on {len(data.examples)} examples, "
        f"{len(data.intents)} intents ({seconds:.0f} s)"
    )
    for name, results in reports.items():
        oos = results["oos_recall"]
        print(
            f"{name:4} macro F1 {results['macro_f1'] * 100:5.1f} %  accuracy "
            f"{results['accuracy'] * 100:5.1f} %  out-of-scope recall "
            f"{'n/a' if oos is None else f'{oos * 100:.1f} %'}  ({results['examples']} examples)"
        )
    print(
        "most confused:",
        ", ".join(
            f"{c['intent']}->{c['predicted']} {c['count']}" for c in reports["all"]["confused"][:8]
        ),
    )


if __name__ == "__main__":
    main()
