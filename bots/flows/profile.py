"""/profile: show what the member told us and change any answer."""

from __future__ import annotations

from bots.flows import choices
from bots.flows.base import Answered
from bots.flows.questions import QUESTIONS, country_name, pressed, take_answer
from bots.intents import plainly_a_question, top_intent
from bots.messages import Reply
from bots.rewarding import profile_completed
from bots.turn import Turn
from community.members import has_consent
from community.profile import ConsentPurpose

EDITABLE = ("relation", "place", "interests", "return")


def profile_text(turn: Turn) -> str:
    member = turn.member
    unknown = turn.t("profile.unknown")
    place = ", ".join(
        part for part in (country_name(member.country, turn.language), member.city) if part
    )
    return turn.t(
        "profile.summary",
        relation=turn.t(f"relation.{member.relation}") if member.relation else unknown,
        place=place or unknown,
        interests=", ".join(turn.t(f"interest.{i}") for i in member.interests) or unknown,
        return_intention=(
            turn.t(f"return.{member.return_intention}") if member.return_intention else unknown
        ),
        language=turn.t(f"language.{member.language}"),
        code=member.referral_code or unknown,
    )


class ProfileFlow:
    name = "profile"

    def start(self, turn: Turn) -> list[Reply]:
        if not has_consent(
            session=turn.session, member_id=turn.member_id, purpose=ConsentPurpose.MEMBERSHIP
        ):
            turn.finish()
            return [
                Reply(
                    text=turn.t("profile.not_member"), buttons=(turn.button("menu.join", "/start"),)
                )
            ]
        turn.go(self.name, "menu")
        return [self._menu(turn)]

    def _menu(self, turn: Turn) -> Reply:
        return Reply(
            text=profile_text(turn),
            buttons=(
                *(
                    turn.button(f"profile.edit_{field}", f"profile:edit:{field}")
                    for field in EDITABLE
                ),
                turn.button("menu.language", "/language"),
            ),
        )

    def handle(self, turn: Turn) -> list[Reply]:
        step = turn.conversation.step or "menu"
        if step == "menu":
            return self._choose(turn)
        outcome = take_answer(turn, step)
        if not isinstance(outcome, Answered):
            return outcome
        turn.finish()
        turn.session.add(turn.member)
        profile_completed(turn, turn.member)
        return [Reply(text=turn.t("profile.saved")), self._menu(turn)]

    def _choose(self, turn: Turn) -> list[Reply]:
        value = pressed(turn, "profile:edit")
        if value is None and turn.text and not turn.payload:
            if plainly_a_question(turn, top_intent(turn.understand())[0]):
                # "vieta" in "kaip gauti vietą darželyje?" is no wish to change one's place:
                # the engine answers the question, and the menu stays open
                turn.not_understood = True
                return [Reply(text=turn.t("common.not_understood")), self._menu(turn)]
            value = choices.match_one("profile_field", turn.text)
        if value not in EDITABLE:
            turn.finish()
            turn.not_understood = not turn.payload
            reason = "common.stale_button" if turn.payload else "common.not_understood"
            return [Reply(text=turn.t(reason)), self._menu(turn)]
        turn.go(self.name, value)
        if value == "interests":
            turn.conversation.slots = {"interests_draft": list(turn.member.interests)}
        return [QUESTIONS[value].ask(turn)]
