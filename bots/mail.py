"""Invitation emails: built in Lithuanian and English (plain text and simple HTML), each with
an opt-out link and a List-Unsubscribe header, and handed to an SMTP server.

ALYTUS_SMTP_URL names the server: `smtp://user:pass@host:587` (STARTTLS whenever the server
offers it) or `smtps://user:pass@host:465` (TLS from the first byte). One `Mailer` keeps one
connection open for a whole run of a campaign.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from types import TracebackType
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_S = 30

FOOTER = {
    "lt": "Nebenorite gauti laiškų iš Alytaus bendruomenės? Atsisakykite: {optout}",
    "en": "Rather not hear from the Alytus community again? Opt out: {optout}",
}
HTML_FOOTER = {
    "lt": 'Nebenorite gauti laiškų iš Alytaus bendruomenės? <a href="{optout}">Atsisakyti</a>.',
    "en": 'Rather not hear from the Alytus community again? <a href="{optout}">Opt out</a>.',
}
BUTTON = {"lt": "Prisijungti", "en": "Join"}


class MailError(RuntimeError):
    """The mail server cannot be reached or configured: nothing was sent."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str | None
    password: str | None
    implicit_tls: bool  # smtps://

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailError("ALYTUS_SMTP_URL must look like smtp://user:pass@host:587")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 587)
        except ValueError:
            raise MailError("ALYTUS_SMTP_URL has a port that is not a number") from None
        return cls(
            host=parts.hostname,
            port=port,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=parts.scheme == "smtps",
        )


@dataclass(frozen=True)
class Letter:
    """One invitation's texts, placeholders already filled in."""

    subject_lt: str
    subject_en: str
    body_lt: str
    body_en: str
    link: str
    optout: str


def invitation(*, letter: Letter, mail_from: str, to_name: str, to_address: str) -> EmailMessage:
    """The email: Lithuanian first, then English, the opt-out in both, as text and HTML."""
    message = EmailMessage()
    subject = letter.subject_lt
    if letter.subject_en and letter.subject_en != letter.subject_lt:
        subject = f"{letter.subject_lt} / {letter.subject_en}"
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = formataddr((to_name, to_address))
    message["Message-ID"] = make_msgid(domain=_domain(mail_from))
    message["List-Unsubscribe"] = f"<{letter.optout}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_text(letter))
    message.add_alternative(_html(letter), subtype="html")
    return message


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(" >") or "localhost"


def _text(letter: Letter) -> str:
    parts = []
    for language, body in (("lt", letter.body_lt), ("en", letter.body_en)):
        parts.append(f"{body.strip()}\n\n{FOOTER[language].format(optout=letter.optout)}")
    return "\n\n----------\n\n".join(parts) + "\n"


def _html(letter: Letter) -> str:
    sections = []
    for language, body in (("lt", letter.body_lt), ("en", letter.body_en)):
        paragraphs = "".join(
            f"<p>{_linked(html.escape(part), letter.link)}</p>"
            for part in body.strip().split("\n\n")
        )
        sections.append(
            f'<div lang="{language}">{paragraphs}'
            f'<p><a href="{html.escape(letter.link)}" style="display:inline-block;'
            "padding:10px 18px;background:#0b6b3a;color:#fff;border-radius:6px;"
            f'text-decoration:none">{BUTTON[language]}</a></p>'
            f'<p style="color:#5b6478;font-size:13px">'
            f"{HTML_FOOTER[language].format(optout=html.escape(letter.optout))}</p></div>"
        )
    body = '<hr style="border:0;border-top:1px solid #d9dee8">'.join(sections)
    return (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;font-size:15px;'
        f'line-height:1.5;color:#1d2433;max-width:600px">{body}</body></html>'
    )


def _linked(escaped: str, link: str) -> str:
    """Paragraph text with line breaks kept and the personal link clickable."""
    safe_link = html.escape(link)
    anchored = escaped.replace(safe_link, f'<a href="{safe_link}">{safe_link}</a>')
    return anchored.replace("\n", "<br>")


class Mailer:
    """One SMTP connection for many messages: `with Mailer(url) as mailer: mailer.send(m)`."""

    def __init__(self, url: str, timeout: float = SMTP_TIMEOUT_S) -> None:
        self.server = SmtpServer.from_url(url)
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        self.connection = self._connect()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        try:
            connection: smtplib.SMTP
            if server.implicit_tls:
                connection = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
                connection.ehlo()
                if connection.has_extn("starttls"):
                    connection.starttls(context=context)
                    connection.ehlo()
            if server.user:
                connection.login(server.user, server.password or "")
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(
                f"cannot reach the mail server {server.host}:{server.port}: {error}"
            ) from None
        return connection

    def send(self, message: EmailMessage) -> None:
        """Hand one message over. smtplib.SMTPResponseException: the server refused it (not
        sent); any other error: the connection broke and whether it went is unknown."""
        assert self.connection is not None, "use Mailer as a context manager"
        self.connection.send_message(message)
