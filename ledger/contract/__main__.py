"""`python -m ledger.contract`: compile RewardLedger.vy into the shipped RewardLedger.json."""

from ledger.contract import write_shipped

if __name__ == "__main__":
    print(f"wrote {write_shipped()}")
