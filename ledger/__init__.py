"""Ledger room: every reward recorded on an EVM ledger exactly once, with no personal data.

`outbox` (enqueue, sync, proof_of, status, run_forever) is what other rooms call; `verify`
checks the chain against the reward journal; `cli` is `alytus ledger`.
"""
