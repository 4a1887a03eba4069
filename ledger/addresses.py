"""Pseudonymous chain addresses for members: no personal data ever goes on chain.

An address is HMAC-SHA256(server secret, member id), cut to 20 bytes; a reward's id is the
HMAC of its journal key. Only the server can link either to a member; erasing the member
erases that link, and the chain entries stay anonymous. Nobody holds a key for these
addresses: they only receive points.
"""

from __future__ import annotations

import hashlib
import hmac

from eth_utils import to_checksum_address

from community.secrets import local_secret
from community.settings import Settings


def address_for(secret: bytes, member_id: int) -> str:
    """The checksummed address of `member_id` under `secret`."""
    digest = hmac.new(secret, f"alytus-member:{member_id}".encode(), hashlib.sha256).digest()
    return to_checksum_address(digest[:20])


def member_address(settings: Settings, member_id: int) -> str:
    """A member's ledger address: stable while the server secret is kept."""
    return address_for(local_secret(settings, "ledger", settings.ledger_secret), member_id)


def reward_id_for(settings: Settings, reward_key: str) -> str:
    """A reward's id on chain: keyed by the server secret, because a journal key names the
    member ("onboarding.complete:17") and a plain hash of it could be guessed back."""
    secret = local_secret(settings, "ledger", settings.ledger_secret)
    digest = hmac.new(secret, f"alytus-reward:{reward_key}".encode(), hashlib.sha256).digest()
    return "0x" + digest.hex()
