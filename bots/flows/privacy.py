"""/privacy: what we hold, consent per purpose, export as JSON, erase on request (GDPR)."""

from __future__ import annotations

import json

from bots.flows import choices
from bots.flows.questions import pressed, understood_choice
from bots.member_data import erase_everything, export_everything
from bots.messages import Attachment, Reply
from bots.turn import Turn
from community.members import current_consents, record_consent
from community.profile import ConsentPurpose

OPTIONAL = (ConsentPurpose.NEWS, ConsentPurpose.PERSONALISATION, ConsentPurpose.ONCHAIN_REWARDS)


class PrivacyFlow:
    name = "privacy"

    def start(self, turn: Turn) -> list[Reply]:
        turn.go(self.name, "menu")
        return [self._menu(turn)]

    def _menu(self, turn: Turn) -> Reply:
        consents = current_consents(session=turn.session, member_id=turn.member_id)
        lines = "\n".join(
            f"{'✓' if consents[p.value] else '✗'} {turn.t(f'consent.purpose_{p.value}')}"
            for p in ConsentPurpose
        )
        toggles = ()
        if consents[ConsentPurpose.MEMBERSHIP]:
            toggles = tuple(
                turn.button(
                    f"privacy.{'withdraw' if consents[p.value] else 'give'}_{p.value}",
                    f"privacy:toggle:{p.value}",
                )
                for p in OPTIONAL
            )
        return Reply(
            text=turn.t("privacy.summary", consents=lines),
            buttons=(
                turn.button("privacy.export", "privacy:export"),
                turn.button("privacy.erase", "privacy:erase"),
                *toggles,
            ),
        )

    def handle(self, turn: Turn) -> list[Reply]:
        if turn.conversation.step == "confirm_erase":
            return self._confirm_erase(turn)
        action = pressed(turn, "privacy")
        if action is None and turn.text and not turn.payload:
            action = choices.match_one("privacy_action", turn.text)
        if action == "export":
            return self.export(turn)
        if action == "erase":
            return self.ask_erase(turn)
        if action and action.startswith("toggle:"):
            return self._toggle(turn, action.removeprefix("toggle:"))
        turn.finish()
        turn.not_understood = not turn.payload
        reason = "common.stale_button" if turn.payload else "common.not_understood"
        return [Reply(text=turn.t(reason)), self.start(turn)[0]]

    def ask_erase(self, turn: Turn) -> list[Reply]:
        """Erasure is asked about once more before anything is deleted."""
        turn.go(self.name, "confirm_erase")
        return [
            Reply(
                text=turn.t("privacy.erase_confirm"),
                buttons=(
                    turn.button("privacy.erase_yes", "privacy:erase:yes"),
                    turn.button("privacy.erase_no", "privacy:erase:no"),
                ),
            )
        ]

    def export(self, turn: Turn) -> list[Reply]:
        """Everything we hold about the member, as a JSON file."""
        data = export_everything(session=turn.session, member=turn.member)
        turn.finish()
        return [
            Reply(
                text=turn.t("privacy.export_ready"),
                file=Attachment(
                    name="alytus-connect-my-data.json",
                    mime="application/json",
                    content=json.dumps(data, ensure_ascii=False, indent=2),
                ),
            )
        ]

    def _toggle(self, turn: Turn, purpose_value: str) -> list[Reply]:
        allowed = {p.value for p in OPTIONAL}
        consents = current_consents(session=turn.session, member_id=turn.member_id)
        if purpose_value not in allowed or not consents[ConsentPurpose.MEMBERSHIP]:
            return [Reply(text=turn.t("common.stale_button")), self._menu(turn)]
        record_consent(
            session=turn.session,
            member_id=turn.member_id,
            purpose=ConsentPurpose(purpose_value),
            granted=not consents[purpose_value],
            notice_version=turn.settings.privacy_notice_version,
            source=turn.incoming.platform,
        )
        turn.finish()
        return [Reply(text=turn.t("privacy.saved")), self._menu(turn)]

    def _confirm_erase(self, turn: Turn) -> list[Reply]:
        answer = pressed(turn, "privacy:erase")
        if answer is None and turn.text and not turn.payload:
            answer = choices.match_one("yes_no", turn.text) or understood_choice(turn, "yes_no")
        if answer == "yes":
            language = turn.language
            erase_everything(
                session=turn.session,
                member=turn.member,
                notice_version=turn.settings.privacy_notice_version,
            )
            turn.erased = True
            return [Reply(text=turn.catalog.text(language, "privacy.erased"), forget=True)]
        turn.finish()
        return [Reply(text=turn.t("privacy.erase_cancelled"))]
