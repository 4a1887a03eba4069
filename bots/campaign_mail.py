"""Sending a campaign's invitation emails: SMTP from the bots room, which is the one that
sends (community/campaigns.py decides who and keeps the books).

Each invite is claimed ("sending") and committed before the SMTP call and settled after it,
so a crash between the two leaves it "sending" (in doubt), reported and never resent.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bots.mail import Letter, Mailer, MailError, invitation
from community import campaigns
from community.database import Database
from community.settings import Settings


@dataclass
class DeliveryReport:
    """What one run of `deliver` did."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    in_doubt: int = 0
    errors: list[str] = field(default_factory=list)


def deliver(
    *,
    db: Database,
    campaign_id: int,
    settings: Settings,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send the queued emails of a campaign, each at most once (see the module docstring).

    MailError when the server cannot be reached (nothing claimed), or when the connection
    broke during a message (that invite stays "sending", in doubt, and the run stops)."""
    with db.session() as session:
        campaign = campaigns.get_campaign(session, campaign_id)
        if campaign.channel != "email":
            return DeliveryReport()
        pace = campaign.pace_ms / 1000
        texts = {
            key: getattr(campaign, key)
            for key in ("subject_lt", "subject_en", "body_lt", "body_en")
        }
    if settings.smtp_url is None:
        raise MailError("No mail server: set ALYTUS_SMTP_URL (smtp://user:pass@host:587).")
    report = DeliveryReport()
    with Mailer(settings.smtp_url.get_secret_value()) as mailer:
        while batch := campaigns.queued_invites(db, campaign_id):
            for invite_id in batch:
                claimed = campaigns.claim_invite(db, invite_id)
                if claimed is None:
                    continue
                if isinstance(claimed, str):
                    report.skipped += 1
                    continue
                prospect_name, address, token = claimed
                link = _link(settings, token)
                letter = Letter(
                    subject_lt=texts["subject_lt"],
                    subject_en=texts["subject_en"],
                    body_lt=campaigns.fill(texts["body_lt"], name=prospect_name, link=link),
                    body_en=campaigns.fill(texts["body_en"], name=prospect_name, link=link),
                    link=link,
                    optout=campaigns.optout_link(settings.public_url, token),
                )
                message = invitation(
                    letter=letter,
                    mail_from=settings.mail_from,
                    to_name=prospect_name,
                    to_address=address,
                )
                try:
                    mailer.send(message)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                    campaigns.finish_invite(db, invite_id, "failed", _smtp_error(error))
                    report.failed += 1
                    report.errors.append(f"{address}: {_smtp_error(error)}")
                except (smtplib.SMTPException, OSError) as error:
                    campaigns.finish_invite(
                        db, invite_id, "sending", f"in doubt: connection lost ({error})"
                    )
                    raise MailError(f"the mail server connection broke: {error}") from None
                else:
                    campaigns.finish_invite(db, invite_id, "sent")
                    report.sent += 1
                if pace:
                    sleep(pace)
    with db.session() as session:
        campaigns.close_if_done(session, campaign_id)
        report.in_doubt = campaigns.count_invites(session, campaign_id, "sending")
    return report


def _link(settings: Settings, token: str) -> str:
    return campaigns.invite_link(settings.public_url, token)


def _smtp_error(error: smtplib.SMTPException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()), (0, b""))
        return f"refused: {code} {reply.decode('utf-8', 'replace')}"
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
        return f"refused: {error.smtp_code} {text}"
    return str(error)


def send_campaign(
    *,
    db: Database,
    campaign_id: int,
    settings: Settings,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Plan a draft campaign's invites, then send what is queued; running it again sends
    nothing more (an email campaign with invites in doubt leaves those alone)."""
    with db.session() as session:
        campaigns.plan_invites(session=session, campaign_id=campaign_id)
    return deliver(db=db, campaign_id=campaign_id, settings=settings, sleep=sleep)
