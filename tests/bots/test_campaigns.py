"""Campaigns: a spreadsheet of former pupils invited by email, each once, with a personal
link and an opt-out, and the funnel from invited to onboarded.

The mail server is real: aiosmtpd's SMTP server runs in this process on 127.0.0.1 (its own
thread and event loop) and collects every message it accepts, so smtplib, the headers and
the SMTP dialogue are the ones a real server sees.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from bots.campaign_mail import send_campaign
from bots.engine import Engine
from bots.mail import MailError
from bots.testing import BotTester, verify_dialog
from community import campaigns
from community.campaigns import (
    CampaignError,
    ProspectFilter,
    count_reach,
    create_campaign,
    funnel,
    funnel_csv,
    open_link,
    opt_out,
)
from community.database import Database
from community.models import Campaign, CampaignInvite, DoNotContact, Prospect
from community.prospects import import_prospect_file
from community.settings import Settings
from tests.e2e.live import free_port
from tests.fakes.smtp_server import SmtpServer, text_of

HEADER = "name,email,phone,telegram,discord,school,left_year,source,lawful_basis,notes"
LINK = re.compile(r"https://connect\.alytus\.test/join/([A-Za-z0-9_-]{20,64})(/optout)?")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


# ---------------------------------------------------------------------------- helpers


def pupils_file(folder: Path, count: int) -> Path:
    """A spreadsheet of former pupils: one in ten left before 2010, one in five has a
    Telegram handle too."""
    lines = [HEADER]
    for number in range(count):
        year = 2005 if number % 10 == 0 else 2015
        telegram = f"pupil_{number:04d}" if number % 5 == 0 else ""
        lines.append(
            f"Pupil {number:04d},pupil{number:04d}@example.lt,,{telegram},,"
            f"Jotvingių gimnazija,{year},Jotvingių alumni,consent,"
        )
    path = folder / "pupils.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_file(db: Database, path: Path) -> dict[str, Any]:
    with db.session() as session:
        return import_prospect_file(session=session, path=path).as_dict()


def new_campaign(db: Database, **filters: Any) -> int:
    with db.session() as session:
        campaign = create_campaign(
            session=session,
            name="Jotvingiai come home",
            filters=ProspectFilter(**filters),
            subject_lt="Kvietimas",
            subject_en="Invitation",
            body_lt="Sveiki, {name}! Prisijunkite: {link}",
            body_en="Hello {name}! Join here: {link}",
            created_by="editor@alytus.test",
        )
        assert campaign.id is not None
        return campaign.id


def funnel_of(db: Database, campaign_id: int) -> dict[str, int]:
    with db.session() as session:
        return dict(funnel(session=session, campaign_id=campaign_id).steps())


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(update={"smtp_url": SecretStr(smtp.url)})


# ---------------------------------------------------------------------------- tests


def test_a_thousand_pupils_get_one_invitation_each_and_a_second_send_sends_nothing(
    db: Database, tmp_path: Path, smtp: SmtpServer, mail_settings: Settings
):
    assert import_file(db, pupils_file(tmp_path, 1000))["imported"] == 1000
    campaign_id = new_campaign(db)

    report = send_campaign(db=db, campaign_id=campaign_id, settings=mail_settings)

    assert (report.sent, report.failed, report.in_doubt) == (1000, 0, 0)
    recipients = smtp.sink.recipients()
    assert len(recipients) == 1000
    assert len(set(recipients)) == 1000
    tokens = set()
    for recipients_of_one, message in smtp.sink.messages:
        text = text_of(message)
        links = LINK.findall(text)
        join = {token for token, optout in links if not optout}
        optouts = {token for token, optout in links if optout}
        assert len(join) == 1 and join == optouts, text
        token = join.pop()
        tokens.add(token)
        assert message["List-Unsubscribe"].strip() == (
            f"<https://connect.alytus.test/join/{token}/optout>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Subject"] == "Kvietimas / Invitation"
        number = re.search(r"Sveiki, Pupil (\d{4})!", text)
        assert number and recipients_of_one == [f"pupil{number.group(1)}@example.lt"]
        assert "Atsisakykite" in text and "Opt out" in text  # the opt-out in both languages
        assert f'href="https://connect.alytus.test/join/{token}/optout"' in html_of(message)
    assert len(tokens) == 1000

    again = send_campaign(db=db, campaign_id=campaign_id, settings=mail_settings)
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp.sink.messages) == 1000
    with db.session() as session:
        assert session.get(Campaign, campaign_id).status == "done"  # type: ignore[union-attr]
    assert funnel_of(db, campaign_id) == {"invited": 1000, "opened": 0, "joined": 0, "onboarded": 0}


def test_filters_choose_who_is_reached(db: Database, tmp_path: Path):
    import_file(db, pupils_file(tmp_path, 50))
    with db.session() as session:
        assert count_reach(session=session, filters=ProspectFilter()) == 50
        assert count_reach(session=session, filters=ProspectFilter(left_to=2009)) == 5
        assert count_reach(session=session, filters=ProspectFilter(channel="telegram")) == 10
        assert count_reach(session=session, filters=ProspectFilter(school="jotvingiu")) == 50
        assert count_reach(session=session, filters=ProspectFilter(school="Putinų")) == 0
        assert count_reach(session=session, filters=ProspectFilter(source="ALUMNI")) == 50
        assert count_reach(session=session, filters=ProspectFilter(min_score=0.5)) == 50
        assert count_reach(session=session, filters=ProspectFilter(min_score=0.99)) == 0
    with pytest.raises(CampaignError, match="Choose a channel"):
        ProspectFilter(channel="fax")
    with pytest.raises(CampaignError, match="after the last"):
        ProspectFilter(left_from=2020, left_to=2010)


def test_texts_need_the_link_and_only_known_placeholders(db: Database):
    with db.session() as session, pytest.raises(CampaignError, match=r"must contain \{link\}"):
        create_campaign(
            session=session,
            name="x",
            filters=ProspectFilter(),
            subject_lt="a",
            subject_en="b",
            body_lt="Sveiki",
            body_en="Hello {link}",
        )
    with db.session() as session, pytest.raises(CampaignError, match=r"\{surname\}"):
        create_campaign(
            session=session,
            name="x",
            filters=ProspectFilter(),
            subject_lt="a",
            subject_en="b",
            body_lt="Sveiki {surname} {link}",
            body_en="Hello {link}",
        )


def test_an_opened_link_counts_once_and_an_opt_out_keeps_the_next_import_away(
    db: Database, tmp_path: Path, smtp: SmtpServer, mail_settings: Settings
):
    spreadsheet = pupils_file(tmp_path, 20)
    import_file(db, spreadsheet)
    campaign_id = new_campaign(db)
    send_campaign(db=db, campaign_id=campaign_id, settings=mail_settings)
    first, second = (LINK.search(text_of(m)).group(1) for _, m in smtp.sink.messages[:2])  # type: ignore[union-attr]

    with db.session() as session:
        assert open_link(session=session, token=first) is not None
        assert open_link(session=session, token=first) is not None
        assert open_link(session=session, token="x" * 22) is None
    assert funnel_of(db, campaign_id)["opened"] == 1

    with db.session() as session:
        invite = opt_out(session=session, token=second)
        assert invite is not None and invite.opted_out_at is not None
        prospect = session.get(Prospect, invite.prospect_id)
        assert prospect is not None
        blocked = session.exec(select(DoNotContact)).all()
        assert {(entry.kind, entry.value) for entry in blocked} == {
            ("email", prospect.email),
            *({("telegram", prospect.telegram)} if prospect.telegram else set()),
        }
        assert opt_out(session=session, token=second) is not None  # twice: nothing new
        assert len(session.exec(select(DoNotContact)).all()) == len(blocked)
        address = prospect.email

    again = import_file(db, spreadsheet)
    assert again["imported"] == 0 and again["merged"] == 19
    line = next(
        n for n, row in enumerate(spreadsheet.read_text().splitlines(), 1) if address in row
    )
    assert again["rejected"] == [{"line": line, "reason": "on the do-not-contact list"}]

    later = new_campaign(db)
    send_campaign(db=db, campaign_id=later, settings=mail_settings)
    assert address not in smtp.sink.recipients()[20:]
    assert len(smtp.sink.recipients()) == 20 + 19


def test_the_funnel_follows_a_pupil_from_the_email_to_the_end_of_onboarding(
    db: Database, tmp_path: Path, smtp: SmtpServer, mail_settings: Settings, engine: Engine
):
    import_file(db, pupils_file(tmp_path, 3))
    campaign_id = new_campaign(db)
    send_campaign(db=db, campaign_id=campaign_id, settings=mail_settings)
    token = LINK.search(text_of(smtp.sink.messages[0][1])).group(1)  # type: ignore[union-attr]
    with db.session() as session:
        open_link(session=session, token=token)
    assert funnel_of(db, campaign_id) == {"invited": 3, "opened": 1, "joined": 0, "onboarded": 0}

    pupil = BotTester(engine=engine, user_id="pupil-0000")
    verify_dialog(
        pupil,
        [
            (f"/start {token}", "Which language"),
            ("[lang:en]", "Do you agree?"),
        ],
    )
    assert "do not know this invitation code" not in pupil.text()
    assert funnel_of(db, campaign_id) == {"invited": 3, "opened": 1, "joined": 1, "onboarded": 0}
    verify_dialog(
        pupil,
        [
            ("[consent:membership]", "connection to Alytus"),
            ("[relation:resident]", "What are you interested in?"),
            ("[interest:done]", "Thank you!"),
        ],
    )
    assert funnel_of(db, campaign_id) == {"invited": 3, "opened": 1, "joined": 1, "onboarded": 1}
    with db.session() as session:
        invite = session.exec(select(CampaignInvite).where(CampaignInvite.token == token)).one()
        prospect = session.get(Prospect, invite.prospect_id)
        assert prospect is not None and prospect.member_id == invite.joined_member_id
        csv = funnel_csv(funnel(session=session, campaign_id=campaign_id))
    assert csv.splitlines() == [
        "step,prospects,% of invited",
        "invited,3,100.0",
        "opened,1,33.3",
        "joined,1,33.3",
        "onboarded,1,33.3",
    ]


def test_a_refused_address_fails_alone_and_a_claimed_message_is_never_resent(
    db: Database, tmp_path: Path, smtp: SmtpServer, mail_settings: Settings
):
    import_file(db, pupils_file(tmp_path, 5))
    smtp.sink.refuse.add("pupil0001@example.lt")
    campaign_id = new_campaign(db)
    with db.session() as session:
        campaigns.plan_invites(session=session, campaign_id=campaign_id)
        # a crash after the claim and before "sent": the invite stays "sending"
        crashed = session.exec(
            select(CampaignInvite).where(CampaignInvite.campaign_id == campaign_id)
        ).first()
        assert crashed is not None
        crashed.status = "sending"
        session.add(crashed)

    report = send_campaign(db=db, campaign_id=campaign_id, settings=mail_settings)

    assert (report.sent, report.failed, report.in_doubt) == (3, 1, 1)
    assert "550" in report.errors[0]
    assert sorted(smtp.sink.recipients()) == [f"pupil000{n}@example.lt" for n in (2, 3, 4)]
    with db.session() as session:
        found = funnel(session=session, campaign_id=campaign_id)
    assert found.statuses["failed"] == 1 and found.statuses["sending"] == 1
    assert found.invited == 3


def test_no_mail_server_sends_nothing_and_claims_nothing(
    db: Database, tmp_path: Path, settings: Settings
):
    import_file(db, pupils_file(tmp_path, 2))
    campaign_id = new_campaign(db)
    down = settings.model_copy(update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{free_port()}")})
    with pytest.raises(MailError, match="cannot reach the mail server"):
        send_campaign(db=db, campaign_id=campaign_id, settings=down)
    with pytest.raises(MailError, match="ALYTUS_SMTP_URL"):
        send_campaign(db=db, campaign_id=campaign_id, settings=settings)
    with db.session() as session:
        assert funnel(session=session, campaign_id=campaign_id).statuses["queued"] == 2


def test_telegram_campaigns_make_links_for_staff_to_share(db: Database, tmp_path: Path):
    import_file(db, pupils_file(tmp_path, 10))
    campaign_id = new_campaign(db, channel="telegram")
    with db.session() as session:
        assert campaigns.plan_invites(session=session, campaign_id=campaign_id) == 2
        links = campaigns.invite_links(
            session=session, campaign_id=campaign_id, public_url="https://connect.alytus.test"
        )
    assert [link["address"] for link in links] == ["pupil_0000", "pupil_0005"]
    assert all(LINK.fullmatch(link["link"]) for link in links)
    assert funnel_of(db, campaign_id)["invited"] == 2


def test_the_link_leads_to_the_telegram_bot_when_there_is_one(settings: Settings):
    assert campaigns.way_in(settings, "t" * 22) == f"https://connect.alytus.test/?ref={'t' * 22}"
    telegram = settings.model_copy(
        update={"telegram_token": SecretStr("1:x"), "telegram_bot_username": "AlytusBot"}
    )
    assert campaigns.way_in(telegram, "t" * 22) == f"https://t.me/AlytusBot?start={'t' * 22}"


def test_smtp_urls_are_read_with_their_parts():
    from bots.mail import SmtpServer as Server

    server = Server.from_url("smtps://me%40city:p%3Ass@mail.alytus.lt")
    assert (server.host, server.port, server.user, server.password, server.implicit_tls) == (
        "mail.alytus.lt",
        465,
        "me@city",
        "p:ss",
        True,
    )
    assert Server.from_url("smtp://mail.alytus.lt").port == 587
    with pytest.raises(MailError):
        Server.from_url("http://mail.alytus.lt")
