"""The reward ledger contract: Vyper source, compiled in process and cached by its hash."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).parent / "RewardLedger.vy"
EVM_VERSION = "cancun"  # what anvil, py-evm and permissioned (Besu) networks all run
CACHE_ENV = "ALYTUS_LEDGER_CACHE"


@dataclass(frozen=True)
class CompiledContract:
    abi: list[dict[str, Any]]
    bytecode: bytes
    source_hash: str


def _snekmate_root() -> Path:
    import snekmate

    return Path(next(iter(snekmate.__path__))).resolve().parent  # a namespace package


def _cache_dir() -> Path:
    """Compiled output outlives the process: ALYTUS_LEDGER_CACHE, else the temp folder."""
    given = os.environ.get(CACHE_ENV)
    return Path(given) if given else Path(tempfile.gettempdir()) / "alytus-ledger-contract"


def _source_hash(source: str) -> str:
    import vyper

    key = f"{vyper.__version__}\n{EVM_VERSION}\n{source}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _compile(source: str) -> dict[str, Any]:
    import vyper
    from vyper.compiler.input_bundle import FilesystemInputBundle
    from vyper.compiler.settings import Settings

    output = vyper.compile_code(
        source,
        contract_path=SOURCE.name,
        input_bundle=FilesystemInputBundle([_snekmate_root(), SOURCE.parent]),
        settings=Settings(evm_version=EVM_VERSION),
        output_formats=["abi", "bytecode"],
    )
    return {"abi": output["abi"], "bytecode": output["bytecode"]}


@lru_cache(maxsize=1)
def compiled_contract() -> CompiledContract:
    """The contract's ABI and deploy bytecode; compiled once per source (about 1 s)."""
    source = SOURCE.read_text(encoding="utf-8")
    digest = _source_hash(source)
    path = _cache_dir() / f"RewardLedger-{digest[:16]}.json"
    try:
        output = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        output = _compile(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(output), encoding="utf-8")
        partial.replace(path)  # atomic: a reader never sees half a file
    return CompiledContract(
        abi=output["abi"],
        bytecode=bytes.fromhex(output["bytecode"].removeprefix("0x")),
        source_hash=digest,
    )
