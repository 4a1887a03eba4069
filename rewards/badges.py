"""Badges: milestones read off the reward journal (how many rewards of a rule a member has)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rewards.rules import CHECKIN, ONBOARDING, PROFILE, REFERRAL


@dataclass(frozen=True)
class Badge:
    code: str
    name_lt: str
    name_en: str


@dataclass(frozen=True)
class _Milestone:
    badge: Badge
    rule: str
    count: int


MILESTONES: tuple[_Milestone, ...] = (
    _Milestone(Badge("onboarding_done", "Prisijungė", "Joined"), ONBOARDING, 1),
    _Milestone(Badge("profile_complete", "Pilnas profilis", "Complete profile"), PROFILE, 1),
    _Milestone(Badge("first_referral", "Pirmas draugas", "First friend"), REFERRAL, 1),
    _Milestone(Badge("referrals_5", "Penki draugai", "Five friends"), REFERRAL, 5),
    _Milestone(Badge("events_3", "Trys renginiai", "Three events"), CHECKIN, 3),
    _Milestone(Badge("events_10", "Dešimt renginių", "Ten events"), CHECKIN, 10),
)


def badges_for(counts: Mapping[str, int]) -> list[Badge]:
    """The badges earned, given how many positive rewards the member has per rule."""
    return [m.badge for m in MILESTONES if counts.get(m.rule, 0) >= m.count]
