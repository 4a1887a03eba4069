"""Onboarding: language, consent, relation, place, interests, return intention, referral code.

Consent comes before any profile data. A member who declines stays anonymous and can still
ask questions. Residents and returnees are not asked where they live; only emigrants are
asked about coming back.
"""

from __future__ import annotations

from bots.flows.base import Answered
from bots.flows.questions import ALSO_ANSWERED, QUESTIONS, take_answer
from bots.messages import Button, Link, Reply
from bots.referrals import referral_link
from bots.rewarding import taking_part
from bots.turn import Turn
from community.campaigns import mark_joined, mark_onboarded
from community.members import ensure_referral_code, member_by_referral_code
from community.models import Member, utcnow
from community.profile import Relation
from rewards.journal import standing_of

STEPS = ("language", "consent", "relation", "place", "interests", "return")


def _applies(step: str, member: Member) -> bool:
    if step == "place":
        return member.relation in (Relation.EMIGRANT, Relation.FRIEND)
    if step == "return":
        return member.relation == Relation.EMIGRANT
    return True


class OnboardingFlow:
    name = "onboarding"

    def start(self, turn: Turn, referral_code: str | None = None) -> list[Reply]:
        replies: list[Reply] = []
        step = turn.conversation.step if turn.conversation.flow == self.name else None
        if step and step != STEPS[0] and not referral_code:
            # a new tab or device sends /start again: pick the joining up, don't begin anew
            return [Reply(text=turn.t("joining.resume")), QUESTIONS[step].ask(turn)]
        turn.finish()
        campaign = referral_code and mark_joined(
            session=turn.session, token=referral_code, member_id=turn.member_id
        )
        if referral_code and not campaign:
            referrer = member_by_referral_code(session=turn.session, code=referral_code)
            if referrer is not None and referrer.id != turn.member_id:
                turn.conversation.slots = {"referrer": referrer.id}
            else:
                replies.append(Reply(text=turn.t("onboarding.unknown_referral")))
        turn.go(self.name, STEPS[0])
        return [*replies, QUESTIONS[STEPS[0]].ask(turn)]

    def handle(self, turn: Turn) -> list[Reply]:
        step = turn.conversation.step or STEPS[0]
        outcome = take_answer(turn, step)
        if not isinstance(outcome, Answered):
            return outcome
        if step == "consent":
            if outcome.value == "no":
                turn.finish()
                return [Reply(text=turn.t("onboarding.declined"))]
            self._link_referrer(turn)
        return self._next(turn, step)

    def _next(self, turn: Turn, after: str) -> list[Reply]:
        answered = set(turn.slots.get(ALSO_ANSWERED, []))  # told already, in passing
        for step in STEPS[STEPS.index(after) + 1 :]:
            if _applies(step, turn.member) and step not in answered:
                turn.go(self.name, step)
                return [QUESTIONS[step].ask(turn)]
        return self._complete(turn)

    def _link_referrer(self, turn: Turn) -> None:
        referrer_id = turn.slots.get("referrer")
        if referrer_id and turn.member.referred_by_id is None:
            turn.member.referred_by_id = referrer_id
            turn.session.add(turn.member)

    def _complete(self, turn: Turn) -> list[Reply]:
        first_time = turn.member.onboarded_at is None
        turn.member.onboarded_at = turn.member.onboarded_at or utcnow()
        code = ensure_referral_code(session=turn.session, member=turn.member)
        if first_time:
            turn.session.add(turn.member)
            taking_part(turn, turn.member)
            mark_onboarded(session=turn.session, member_id=turn.member_id)
        link = referral_link(turn.settings, turn.incoming.platform, code)
        turn.finish()
        text = turn.t("onboarding.done", code=code, link=link)
        earned = standing_of(session=turn.session, member_id=turn.member_id).points
        if first_time and earned:
            text += "\n" + turn.t("joining.points_earned", points=earned)
        return [
            Reply(
                text=text,
                buttons=(
                    turn.button("menu.profile", "/profile"),
                    turn.button("menu.help", "/help"),
                    *_way_home_button(turn),
                ),
                links=(Link(label=turn.t("onboarding.invite_link"), url=link),),
            )
        ]


def _way_home_button(turn: Turn) -> tuple[Button, ...]:
    """The way-home checklist, offered at once to a member who plans to come back."""
    from bots import way_home

    offer = way_home.offer(turn)
    return offer.buttons if offer else ()
