"""`python -m ledger sync|verify|status`: the ledger commands on their own, for workers and
tests that run one sync against ALYTUS_HOME / ALYTUS_DATABASE_URL. The journal is whatever
the ledger outbox holds (the full `alytus ledger` reads the rewards journal instead)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from community.settings import Settings
from ledger.cli import build_ledger_cli
from ledger.models import LedgerEntry
from ledger.verify import ExpectedReward


def outbox_rewards(session: Session, settings: Settings) -> Iterable[ExpectedReward]:
    """Every reward the outbox was given, as the journal it mirrors."""
    for entry in session.exec(select(LedgerEntry)).all():
        yield ExpectedReward(entry.reward_key, entry.account, entry.points)


if __name__ == "__main__":
    build_ledger_cli(outbox_rewards)(prog_name="python -m ledger")
