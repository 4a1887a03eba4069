"""The reward ledger contract: the Vyper source, and its compiled form shipped beside it.

RewardLedger.json (ABI, bytecode, and the hash of the source and compiler it came from) is
part of the package, made by `python -m ledger.contract` and checked against the source by
tests/ledger/test_contract.py. It is used when its hash matches the source and the installed
Vyper; otherwise the source is compiled in memory (about 1 s). Nothing is cached in a shared
temp folder, where another local user could have planted bytecode for the service to deploy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).parent / "RewardLedger.vy"
SHIPPED = Path(__file__).parent / "RewardLedger.json"
EVM_VERSION = "cancun"  # what anvil, py-evm and permissioned (Besu) networks all run


@dataclass(frozen=True)
class CompiledContract:
    abi: list[dict[str, Any]]
    bytecode: bytes
    source_hash: str


def _snekmate_root() -> Path:
    import snekmate

    return Path(next(iter(snekmate.__path__))).resolve().parent  # a namespace package


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


def shipped_output(digest: str) -> dict[str, Any] | None:
    """The compiled contract shipped in the package, when it was made from this source."""
    try:
        shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return shipped if shipped.get("source_hash") == digest else None


@lru_cache(maxsize=1)
def compiled_contract() -> CompiledContract:
    """The contract's ABI and deploy bytecode: shipped, or compiled once per process."""
    source = SOURCE.read_text(encoding="utf-8")
    digest = _source_hash(source)
    output = shipped_output(digest) or _compile(source)
    return CompiledContract(
        abi=output["abi"],
        bytecode=bytes.fromhex(output["bytecode"].removeprefix("0x")),
        source_hash=digest,
    )


def write_shipped() -> Path:
    """Compile the source and write RewardLedger.json (run after changing the contract or
    upgrading Vyper: `python -m ledger.contract`)."""
    source = SOURCE.read_text(encoding="utf-8")
    output = {"source_hash": _source_hash(source), **_compile(source)}
    SHIPPED.write_text(json.dumps(output, indent=1) + "\n", encoding="utf-8")
    return SHIPPED
