"""Prospects and campaigns screens as an editor uses them: upload a spreadsheet and read the
report, compose a campaign with a live count, send it through a real SMTP server (aiosmtpd
in this process), follow the funnel; the public invitation link and its opt-out."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from pydantic import SecretStr
from sqlmodel import col, select

from admin.audit import entries
from community import campaigns
from community.database import Database
from community.models import CampaignInvite
from community.settings import Settings
from tests.admin.console import StaffBrowser
from tests.fakes.smtp_server import SmtpServer, text_of

HEADER = "name,email,phone,telegram,discord,school,left_year,source,lawful_basis,notes"
PUPILS = "\n".join(
    [
        HEADER,
        "Jonas Jonaitis,jonas@example.lt,,jonas_alytus,,Jotvingių gimnazija,2012,"
        "Jotvingių alumni,consent,Grew up in Dainava",
        "Asta Petraitė,asta@example.lt,,,,Putinų gimnazija,2015,Putinų alumni,consent,",
        "Bad Email,bad@,,,,,,alumni,consent,",
        "Rūta Kazlauskienė,ruta@example.lt,,,,Jotvingių gimnazija,2009,Jotvingių alumni,"
        "public_task,",
        "No Basis,nobasis@example.lt,,,,,,alumni,,",
    ]
)
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
PREVIEWS = (  # the user agents of real link previews and mail scanners
    "TelegramBot (like TwitterBot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
)
LINK = re.compile(r"https://connect\.alytus\.test/join/([A-Za-z0-9_-]{20,64})")


@pytest.fixture
def settings(tmp_path: Path, smtp: SmtpServer) -> Settings:  # noqa: F811
    return Settings(
        home=tmp_path / "home",
        public_url="https://connect.alytus.test",
        smtp_url=SecretStr(smtp.url),
    )


@pytest.fixture
def editor(staff_as: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_as("editor")


def upload(browser: StaffBrowser, name: str, content: bytes) -> str:
    response = browser.post("/admin/prospects/import", files={"file": (name, content)})
    assert response.status_code in (200, 400), response.text
    return response.text


def stat(page: str, name: str) -> int:
    found = re.search(rf"data-{name}>(\d+)<", page) or re.search(
        rf'data-[a-z]+="{name}">(\d+)<', page
    )
    assert found, f"no {name} on the page"
    return int(found.group(1))


def new_campaign(browser: StaffBrowser, **fields: str) -> int:
    form = {
        "name": "Jotvingiai",
        "channel": "email",
        "school": "jotvingiu",
        "subject_lt": "Kvietimas",
        "subject_en": "Invitation",
        "body_lt": "Sveiki, {name}! {link}",
        "body_en": "Hello {name}! {link}",
        **fields,
    }
    response = browser.post("/admin/campaigns", form)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_an_upload_shows_the_report_with_each_broken_line(editor: StaffBrowser, db: Database):
    page = upload(editor, "pupils.csv", PUPILS.encode())
    assert (stat(page, "imported"), stat(page, "merged"), stat(page, "rejected")) == (3, 0, 2)
    assert "<td>4</td><td>invalid email &#39;bad@&#39;" in page
    assert "<td>6</td><td>no lawful basis" in page

    again = upload(editor, "pupils.csv", PUPILS.encode())
    assert (stat(again, "imported"), stat(again, "merged")) == (0, 3)

    listing = editor.get("/admin/prospects?q=jotving").text
    assert "Jonas Jonaitis" in listing and "Asta" not in listing
    assert "school: Jotvingių gimnazija" in listing  # the evidence behind the score
    with db.session() as session:
        logged = entries(session=session, action="prospects.import")
    assert logged[0].after == {"imported": 0, "merged": 3, "rejected": 2}


def test_a_spreadsheet_upload_and_a_file_that_is_none(editor: StaffBrowser):
    book = openpyxl.Workbook()
    for row in PUPILS.splitlines():
        book.active.append(row.split(","))
    data = io.BytesIO()
    book.save(data)
    page = upload(editor, "pupils.xlsx", data.getvalue())
    assert stat(page, "imported") == 3

    refused = editor.post("/admin/prospects/import", files={"file": ("notes.pdf", b"%PDF-1")})
    assert refused.status_code == 400 and "Upload a .csv or .xlsx file" in refused.text
    empty = editor.post("/admin/prospects/import", data={})
    assert empty.status_code == 400 and "Choose a .csv or .xlsx file" in empty.text


def test_compose_send_and_follow_a_campaign(
    editor: StaffBrowser,
    db: Database,
    smtp: SmtpServer,  # noqa: F811
):
    upload(editor, "pupils.csv", PUPILS.encode())
    composer = editor.get("/admin/campaigns/new").text
    assert "Kvietimas į Alytaus bendruomenę" in composer  # the default texts, both languages
    assert "Alytus misses you!" in composer
    assert "Reaches 3 prospects" in composer
    reach = editor.get("/admin/campaigns/reach?channel=email&school=jotvingiu").text
    assert 'data-count="2"' in reach
    assert "Reaches 1 prospect<" in editor.get("/admin/campaigns/reach?channel=telegram").text
    bad = editor.get("/admin/campaigns/reach?left_from=20x").text
    assert "four-digit years" in bad

    missing_link = editor.post(
        "/admin/campaigns",
        {
            "name": "x",
            "subject_lt": "a",
            "subject_en": "b",
            "body_lt": "Sveiki",
            "body_en": "{link}",
        },
    )
    assert missing_link.status_code == 400 and "must contain {link}" in missing_link.text

    campaign_id = new_campaign(editor)
    page = editor.get(f"/admin/campaigns/{campaign_id}").text
    assert "Send to 2 prospects" in page
    sent = editor.post(f"/admin/campaigns/{campaign_id}/send")
    assert sent.status_code == 303
    assert sorted(smtp.sink.recipients()) == ["jonas@example.lt", "ruta@example.lt"]

    page = editor.get(f"/admin/campaigns/{campaign_id}").text
    assert stat(page, "sent") == 2 and stat(page, "invited") == 2
    assert "data-chart=" in page and '"indexAxis": "y"' in page
    assert "Send the rest" not in page and "Send to" not in page
    editor.post(f"/admin/campaigns/{campaign_id}/send")  # again: nothing more
    assert len(smtp.sink.messages) == 2

    token = LINK.search(text_of(smtp.sink.messages[0][1])).group(1)  # type: ignore[union-attr]
    for preview in PREVIEWS:  # link previews and mail scanners fetch it first: not opened
        fetched = editor.get(
            f"/join/{token}", headers={"User-Agent": preview}, follow_redirects=False
        )
        assert fetched.status_code == 303  # the preview still shows where the link goes
    editor.client.head(f"/join/{token}")
    funnel = editor.api("GET", f"/admin/api/campaigns/{campaign_id}/funnel").json()
    assert funnel["opened"] == 0
    opened = editor.get(f"/join/{token}", follow_redirects=False, headers={"User-Agent": PHONE})
    assert opened.status_code == 303
    assert opened.headers["location"] == f"https://connect.alytus.test/?ref={token}"
    editor.get(f"/join/{token}", follow_redirects=False)

    csv = editor.get(f"/admin/campaigns/{campaign_id}/funnel.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines() == [
        "step,prospects,% of invited",
        "invited,2,100.0",
        "opened,1,50.0",
        "joined,0,0.0",
        "onboarded,0,0.0",
    ]
    funnel = editor.api("GET", f"/admin/api/campaigns/{campaign_id}/funnel").json()
    assert (funnel["invited"], funnel["opened"], funnel["statuses"]["sent"]) == (2, 1, 2)
    listed = editor.get("/admin/campaigns").text
    assert f'href="/admin/campaigns/{campaign_id}">Jotvingiai</a>' in listed
    with db.session() as session:
        assert [e.target for e in entries(session=session, action="campaign.create")] == [
            str(campaign_id)
        ]
        sends = entries(session=session, action="campaign.send")
    assert [entry.after["planned"] for entry in sends] == [0, 2]  # type: ignore[index]


def test_the_opt_out_asks_in_both_languages_and_only_a_post_opts_out(
    editor: StaffBrowser,
    db: Database,
    smtp: SmtpServer,  # noqa: F811
):
    upload(editor, "pupils.csv", PUPILS.encode())
    campaign_id = new_campaign(editor, school="")
    editor.post(f"/admin/campaigns/{campaign_id}/send")
    message = next(m for to, m in smtp.sink.messages if to == ["asta@example.lt"])
    token = LINK.search(text_of(message)).group(1)  # type: ignore[union-attr]

    question = editor.get(f"/join/{token}/optout")
    assert question.status_code == 200
    assert "Atsisakyti kvietimų" in question.text and "Opt out of invitations" in question.text
    assert question.headers["cache-control"] == "no-store"
    assert f'action="/join/{token}/optout"' in question.text
    still = upload(editor, "pupils.csv", PUPILS.encode())
    assert stat(still, "rejected") == 2  # a GET opted nobody out

    done = editor.client.post(f"/join/{token}/optout", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You have opted out" in done.text
    report = upload(editor, "pupils.csv", PUPILS.encode())
    assert "<td>3</td><td>on the do-not-contact list</td>" in report
    page = editor.get(f"/admin/campaigns/{campaign_id}").text
    assert stat(page, "opted_out") == 1

    assert editor.get("/join/not-a-real-token-at-all-xyz").status_code == 404
    assert editor.client.post("/join/not-a-real-token-at-all-xyz/optout").status_code == 404
    assert editor.get("/join/x/optout").status_code == 404


def campaign_with_one_in_doubt(editor: StaffBrowser, db: Database, smtp: SmtpServer) -> int:  # noqa: F811
    """A campaign whose first email was handed to the mail server when the run broke off
    (claimed "sending", never settled), and whose other email then went out."""
    upload(editor, "pupils.csv", PUPILS.encode())
    campaign_id = new_campaign(editor)
    with db.session() as session:
        campaigns.plan_invites(session=session, campaign_id=campaign_id)
        first = session.exec(
            select(CampaignInvite)
            .where(CampaignInvite.campaign_id == campaign_id)
            .order_by(col(CampaignInvite.id))
        ).first()
        assert first is not None
        first.status = "sending"
        session.add(first)
    editor.post(f"/admin/campaigns/{campaign_id}/send")
    assert smtp.sink.recipients() == ["ruta@example.lt"]
    return campaign_id


def test_an_email_in_doubt_is_sent_again_when_staff_find_it_missing_from_the_mail_log(
    editor: StaffBrowser,
    db: Database,
    smtp: SmtpServer,  # noqa: F811
):
    campaign_id = campaign_with_one_in_doubt(editor, db, smtp)
    page = editor.get(f"/admin/campaigns/{campaign_id}").text
    assert "1 email in doubt" in page and "jonas@example.lt" in page
    assert stat(page, "invited") == 1 and "Send the rest" not in page

    wrong = editor.post(f"/admin/campaigns/{campaign_id}/settle", {"outcome": "maybe"})
    assert wrong.status_code == 422
    assert "1 email in doubt" in editor.get(f"/admin/campaigns/{campaign_id}").text

    settled = editor.post(f"/admin/campaigns/{campaign_id}/settle", {"outcome": "queued"})
    page = editor.get(settled.headers["location"]).text
    assert "1 email will be sent again" in page
    assert "in doubt" not in page and "Send the rest (1 waiting)" in page
    editor.post(f"/admin/campaigns/{campaign_id}/send")
    assert sorted(smtp.sink.recipients()) == ["jonas@example.lt", "ruta@example.lt"]
    page = editor.get(f"/admin/campaigns/{campaign_id}").text
    assert stat(page, "sent") == 2 and stat(page, "invited") == 2
    again = editor.post(f"/admin/campaigns/{campaign_id}/settle", {"outcome": "queued"})
    assert "Nothing was in doubt" in editor.get(again.headers["location"]).text
    assert len(smtp.sink.messages) == 2
    with db.session() as session:
        audit = entries(session=session, action="campaign.settle")
    assert [(e.target, e.after) for e in audit] == [(str(campaign_id), {"outcome": "queued"})]


def test_an_email_in_doubt_found_in_the_mail_log_counts_as_invited_and_is_not_resent(
    editor: StaffBrowser,
    db: Database,
    smtp: SmtpServer,  # noqa: F811
):
    campaign_id = campaign_with_one_in_doubt(editor, db, smtp)
    settled = editor.post(f"/admin/campaigns/{campaign_id}/settle", {"outcome": "sent"})
    page = editor.get(settled.headers["location"]).text
    assert "1 email counted as sent" in page and "in doubt" not in page
    assert stat(page, "invited") == 2 and "Send the rest" not in page
    editor.post(f"/admin/campaigns/{campaign_id}/send")
    assert smtp.sink.recipients() == ["ruta@example.lt"]


def test_telegram_campaigns_list_the_links_to_share(editor: StaffBrowser):
    upload(editor, "pupils.csv", PUPILS.encode())
    campaign_id = new_campaign(editor, channel="telegram", subject_lt="", subject_en="")
    page = editor.get(f"/admin/campaigns/{campaign_id}").text
    assert "Make 1 personal link" in page
    assert "cannot start a conversation from a handle alone" in page
    editor.post(f"/admin/campaigns/{campaign_id}/send")
    page = editor.get(f"/admin/campaigns/{campaign_id}").text
    assert "jonas_alytus" in page and LINK.search(page)
    assert stat(page, "link_ready") == 1 and stat(page, "invited") == 1
    links = editor.get(f"/admin/campaigns/{campaign_id}/links.csv").text.splitlines()
    assert links[0] == "name,address,status,opened,link"
    assert links[1].startswith("Jonas Jonaitis,jonas_alytus,link_ready,False,https://")


def test_the_api_answers_bad_input_with_4xx(editor: StaffBrowser):
    upload(editor, "pupils.csv", PUPILS.encode())
    found = editor.api("GET", "/admin/api/prospects?q=putin&limit=5").json()
    assert [p["name"] for p in found] == ["Asta Petraitė"]
    assert 0 <= found[0]["connection"] <= 1 and found[0]["evidence"]
    assert editor.api("GET", "/admin/api/prospects?limit=0").status_code == 422
    assert editor.api("GET", "/admin/api/prospects?q=%ED%A0%80").status_code == 200
    assert editor.api("GET", "/admin/api/prospects?q=%00").status_code == 400  # text_guard
    assert editor.api("GET", "/admin/api/campaigns/0/funnel").status_code == 422
    assert editor.api("GET", "/admin/api/campaigns/99999/funnel").status_code == 404
    assert editor.get("/admin/campaigns/99999").status_code == 404


def test_moderators_and_partners_cannot_open_campaigns(
    staff_as: Callable[..., StaffBrowser], anonymous: StaffBrowser
):
    moderator = staff_as("moderator")
    assert moderator.get("/admin/campaigns").status_code == 403
    assert moderator.api("GET", "/admin/api/prospects").status_code == 403
    assert anonymous.api("GET", "/admin/api/prospects").status_code == 401
    assert anonymous.get("/admin/prospects", follow_redirects=False).status_code == 303


def test_sending_without_a_mail_server_says_so(
    staff_as: Callable[..., StaffBrowser], settings: Settings
):
    settings.smtp_url = None
    editor = staff_as("editor")
    upload(editor, "pupils.csv", PUPILS.encode())
    campaign_id = new_campaign(editor)
    editor.get(f"/admin/campaigns/{campaign_id}")  # shows "Campaign saved"
    refused = editor.post(f"/admin/campaigns/{campaign_id}/send")
    assert refused.status_code == 303
    page = editor.get(refused.headers["location"]).text
    assert "Not sent: no mail server is set" in page
    assert "Send to 2 prospects" in page
