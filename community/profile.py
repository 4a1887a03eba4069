"""The words a member's profile is made of: relation, interests, return intention, consent.

Stored as plain strings (portable across SQLite and PostgreSQL); these enums are the only
allowed values, and message catalogues hold their labels in each language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Relation(StrEnum):
    """How a member is tied to Alytus."""

    EMIGRANT = "emigrant"
    RESIDENT = "resident"
    RETURNED = "returned"
    FRIEND = "friend"


class Interest(StrEnum):
    """Topics a member wants to hear about."""

    JOBS = "jobs"
    BUSINESS = "business"
    EVENTS = "events"
    EDUCATION = "education"
    MENTORING = "mentoring"
    CHARITY = "charity"
    SPORT = "sport"
    CRAFTS = "crafts"


class ReturnIntention(StrEnum):
    """Whether an emigrant thinks of moving back."""

    NO = "no"
    MAYBE = "maybe"
    WITHIN_YEAR = "within_year"


class ConsentPurpose(StrEnum):
    """GDPR purposes consent is asked for, one record per purpose and change."""

    MEMBERSHIP = "membership"
    NEWS = "news"
    PERSONALISATION = "personalisation"
    ONCHAIN_REWARDS = "onchain_rewards"


class Platform(StrEnum):
    """Channels a member can reach the bot on."""

    TERMINAL = "terminal"
    WEB = "web"
    TELEGRAM = "telegram"
    DISCORD = "discord"
    MESSENGER = "messenger"


class _Profile(Protocol):
    relation: str | None
    country: str | None
    interests: list[str]
    return_intention: str | None


def profile_complete(member: _Profile) -> bool:
    """Every profile question that applies to the member has an answer: the relation, where
    an emigrant or a friend lives, at least one interest, and an emigrant's plan to return."""
    if not member.relation or not member.interests:
        return False
    if member.relation in (Relation.EMIGRANT, Relation.FRIEND) and not member.country:
        return False
    return member.relation != Relation.EMIGRANT or bool(member.return_intention)
