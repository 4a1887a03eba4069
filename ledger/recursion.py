"""Python's recursion limit, kept where it was when the Ethereum libraries load.

py_ecc (imported by web3 through eth_account and eth_keyfile) raises the limit to 100,000
when imported, and py-evm to 12,288. With such a limit, the C stack overflows before Python
raises RecursionError: one JSON body nested 30,000 deep ended `alytus serve` with a
segmentation fault. Nothing we run recurses that deep (our contract makes no calls to other
contracts), so the limit is put back as soon as they are imported.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def kept_recursion_limit() -> Iterator[None]:
    """Whatever the imports inside do to the recursion limit is undone afterwards."""
    before = sys.getrecursionlimit()
    try:
        yield
    finally:
        sys.setrecursionlimit(before)
