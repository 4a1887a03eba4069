"""What earns points: defaults in code, staff overrides in the database (`rewards_rule`).

A rule has points (None: the caller must say, as staff do for `manual`), caps counted in
awards per member (per day in Alytus time, and in total) and an active switch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session, select

from community.models import utcnow
from rewards.models import RewardRule

ONBOARDING = "onboarding.complete"
PROFILE = "profile.complete"
REFERRAL = "referral.joined"
CHECKIN = "event.checkin"
POLL = "poll.answered"
MANUAL = "manual"


class UnknownRule(LookupError):
    """No rule has that code."""


@dataclass(frozen=True)
class Rule:
    code: str
    points: int | None
    cap_day: int | None = None
    cap_total: int | None = None
    active: bool = True
    overridden: bool = False


DEFAULT_RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(ONBOARDING, points=50, cap_total=1),
        Rule(PROFILE, points=30, cap_total=1),
        Rule(REFERRAL, points=100, cap_day=10),
        Rule(CHECKIN, points=40, cap_day=3),
        Rule(POLL, points=10, cap_day=5),  # a city poll answered in chat, once per poll
        Rule(MANUAL, points=None),
    )
}


def _merged(default: Rule, row: RewardRule | None) -> Rule:
    if row is None:
        return default
    return replace(
        default,
        points=row.points,
        cap_day=row.cap_day,
        cap_total=row.cap_total,
        active=row.active,
        overridden=True,
    )


def get_rule(*, session: Session, code: str) -> Rule | None:
    """The rule as it holds now (staff's override over the default), or None if unknown."""
    default = DEFAULT_RULES.get(code)
    if default is None:
        return None
    return _merged(default, session.get(RewardRule, code))


def all_rules(*, session: Session) -> list[Rule]:
    rows = {row.code: row for row in session.exec(select(RewardRule))}
    return [_merged(rule, rows.get(code)) for code, rule in DEFAULT_RULES.items()]


def set_rule(
    *,
    session: Session,
    code: str,
    points: int | None = None,
    cap_day: int | None = None,
    cap_total: int | None = None,
    active: bool | None = None,
) -> Rule:
    """Change a rule; None leaves a value as it is, a cap of 0 removes the cap."""
    current = get_rule(session=session, code=code)
    if current is None:
        raise UnknownRule(f"no reward rule {code!r}; known: {', '.join(DEFAULT_RULES)}")
    for name, value in (("points", points), ("cap_day", cap_day), ("cap_total", cap_total)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    row = session.get(RewardRule, code) or RewardRule(code=code)
    row.points = current.points if points is None else points
    row.cap_day = current.cap_day if cap_day is None else (cap_day or None)
    row.cap_total = current.cap_total if cap_total is None else (cap_total or None)
    row.active = current.active if active is None else active
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    rule = get_rule(session=session, code=code)
    assert rule is not None
    return rule


def member_key(rule: str, key: str, member_id: int) -> str:
    """The award key for an occasion named by staff (an event, a volunteering day), made
    per member, so one attendance list or one `--key` rewards each member once.

    Onboarding and profile are once per member whatever the key; a referral is keyed by the
    invitee, whoever the referrer.
    """
    if rule in (ONBOARDING, PROFILE):
        return str(member_id)
    if rule == REFERRAL:
        return key
    return f"{key}:{member_id}"
