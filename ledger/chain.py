"""The chains the ledger writes to: an EVM inside this process, or any JSON-RPC node.

Both sign transactions here with one local key, so a transaction's hash is known before it
is sent (the outbox stores it first) and the embedded chain can be rebuilt by sending the
same signed transactions again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes

from community.settings import Settings
from ledger.contract import compiled_contract
from ledger.recursion import kept_recursion_limit

with kept_recursion_limit():  # py_ecc, under eth_account, raises it to 100,000
    from eth_account import Account
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.contract import Contract
    from web3.exceptions import TransactionNotFound

log = logging.getLogger(__name__)

# eth-tester's first funded account: a well-known test key, only ever used in process.
EMBEDDED_KEY = "0x" + "00" * 31 + "01"
RECEIPT_TIMEOUT = 120.0


class ChainUnreachable(Exception):
    """The node cannot be reached (down, refused, timed out); nothing was changed."""


class ChainRejected(Exception):
    """The node refused or reverted a transaction; the reason is in the message."""


@dataclass(frozen=True)
class SignedTx:
    """A transaction ready to send: its hash is final before the node sees it."""

    raw: bytes
    tx_hash: str
    nonce: int


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    gas_used: int


class Chain:
    """A web3 connection plus the one account that deploys and writes the ledger."""

    embedded: bool = False

    def __init__(self, w3: Web3, account: LocalAccount) -> None:
        self.w3 = w3
        self.account = account
        self._chain_id: int | None = None

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.call(lambda: self.w3.eth.chain_id))
        return self._chain_id

    def call(self, read: Any) -> Any:
        """Runs `read()` against the node, turning connection failures into ChainUnreachable."""
        try:
            return read()
        except (ConnectionError, OSError, TimeoutError) as error:
            raise ChainUnreachable(f"chain unreachable: {error}") from error
        except Exception as error:  # requests' and web3's connection errors
            if _is_connection_error(error):
                raise ChainUnreachable(f"chain unreachable: {error}") from error
            raise

    def contract(self, address: str) -> Contract:
        return self.w3.eth.contract(address=address, abi=compiled_contract().abi)

    def has_code(self, address: str) -> bool:
        return len(self.call(lambda: self.w3.eth.get_code(address))) > 0

    def next_nonce(self) -> int:
        return int(
            self.call(lambda: self.w3.eth.get_transaction_count(self.account.address, "pending"))
        )

    def sign(self, *, to: str | None, data: bytes, gas: int, nonce: int | None = None) -> SignedTx:
        """Signs a call (or a deployment when `to` is None) with fees the node accepts now."""
        nonce = self.next_nonce() if nonce is None else nonce
        base_fee = int(self.call(lambda: self.w3.eth.get_block("latest")).get("baseFeePerGas", 0))
        tip = 1_000_000_000 if not self.embedded else 1
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": 2 * base_fee + tip,
            "maxPriorityFeePerGas": tip,
            "data": data,
            "value": 0,
        }
        if to is not None:
            tx["to"] = to
        signed = self.account.sign_transaction(tx)
        return SignedTx(
            raw=bytes(signed.raw_transaction), tx_hash="0x" + signed.hash.hex(), nonce=nonce
        )

    def estimate_gas(self, *, to: str | None, data: bytes) -> int:
        tx: dict[str, Any] = {"from": self.account.address, "data": data}
        if to is not None:
            tx["to"] = to
        return int(self.call(lambda: self.w3.eth.estimate_gas(tx)))

    def send(self, signed: SignedTx) -> Receipt:
        """Sends a signed transaction and waits until it is mined; a revert is ChainRejected."""
        try:
            self.call(lambda: self.w3.eth.send_raw_transaction(signed.raw))
        except ChainUnreachable:
            raise
        except Exception as error:
            if "already known" not in str(error).lower():
                raise ChainRejected(str(error)) from error
        receipt = self.call(
            lambda: self.w3.eth.wait_for_transaction_receipt(
                HexBytes(signed.tx_hash), timeout=RECEIPT_TIMEOUT, poll_latency=0.05
            )
        )
        if receipt["status"] != 1:
            raise ChainRejected(f"transaction {signed.tx_hash} reverted")
        return _receipt(receipt)

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a transaction that was mined, None when the node does not know it."""
        try:
            receipt = self.call(lambda: self.w3.eth.get_transaction_receipt(HexBytes(tx_hash)))
        except TransactionNotFound:
            return None
        if receipt is None or receipt["status"] != 1:
            return None
        return _receipt(receipt)


def _receipt(receipt: Any) -> Receipt:
    return Receipt(
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=int(receipt["blockNumber"]),
        gas_used=int(receipt["gasUsed"]),
    )


def _is_connection_error(error: BaseException) -> bool:
    names = {type(e).__name__ for e in _causes(error)}
    return bool(names & {"ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout"})


def _causes(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


class EmbeddedChain(Chain):
    """py-evm inside this process: a real EVM running the real bytecode, memory only.

    Everything it holds is lost when the process ends; the ledger rebuilds it from SQL.
    """

    embedded = True

    def __init__(self) -> None:
        with kept_recursion_limit():  # py-evm raises it at import
            from eth_tester import EthereumTester, PyEVMBackend
            from web3 import EthereumTesterProvider

        tester = EthereumTester(PyEVMBackend())
        super().__init__(Web3(EthereumTesterProvider(tester)), Account.from_key(EMBEDDED_KEY))


class RpcChain(Chain):
    """Any EVM JSON-RPC node: anvil in development, a Besu network or an L2 in production."""

    def __init__(self, url: str, private_key: str, timeout: float = 30.0) -> None:
        provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout})
        super().__init__(Web3(provider), Account.from_key(private_key))
        self.url = url


def open_chain(settings: Settings) -> Chain:
    """The chain the settings name: ALYTUS_CHAIN_URL, or an embedded EVM when it is unset."""
    if not settings.chain_url:
        return EmbeddedChain()
    if settings.chain_private_key is None:
        raise ChainRejected("ALYTUS_CHAIN_PRIVATE_KEY is needed to write to ALYTUS_CHAIN_URL")
    return RpcChain(settings.chain_url, settings.chain_private_key.get_secret_value())
