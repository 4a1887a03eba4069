"""Staff accounts: argon2 password hashes, login with rate limiting, role changes.

Failed logins are counted per email and per address in SQL (not in process memory), so the
limit holds across workers and restarts.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from admin.models import LoginFailure, StaffAccount, StaffRole, StaffSession
from community.models import utcnow

MIN_PASSWORD = 12
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 20
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# verified against when the email is unknown, so a missing account takes as long as a wrong
# password and the timing does not tell which emails are staff
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class StaffError(ValueError):
    """A staff account request that cannot be done (bad email, weak password, ...)."""


class LoginRefused(Exception):
    """Wrong email or password (the message never says which)."""


class TooManyAttempts(LoginRefused):
    """Too many failed logins for this email or address in the last minutes."""


def normal_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"The password must have at least {MIN_PASSWORD} characters.")


def create_staff(
    *, session: Session, email: str, role: str, password: str, partner_id: int | None = None
) -> StaffAccount:
    """Add a staff account; a partner account must name the partner it works for."""
    email = normal_email(email)
    if not EMAIL.match(email):
        raise StaffError(f"Not an email address: {email!r}.")
    if role not in set(StaffRole):
        raise StaffError(f"Unknown role {role!r}; choose one of {', '.join(StaffRole)}.")
    if role == StaffRole.PARTNER and partner_id is None:
        raise StaffError("A partner account needs the partner it works for (--partner ID).")
    check_password_strength(password)
    if find_staff(session=session, email=email) is not None:
        raise StaffError(f"A staff account for {email} already exists.")
    account = StaffAccount(
        email=email,
        role=role,
        password_hash=_hasher.hash(password),
        partner_id=partner_id if role == StaffRole.PARTNER else None,
    )
    session.add(account)
    session.flush()
    return account


def find_staff(*, session: Session, email: str) -> StaffAccount | None:
    return session.exec(
        select(StaffAccount).where(StaffAccount.email == normal_email(email))
    ).first()


def set_password(*, session: Session, account: StaffAccount, password: str) -> None:
    """A new password also ends every session signed with the old one."""
    check_password_strength(password)
    account.password_hash = _hasher.hash(password)
    account.session_epoch += 1
    session.add(account)
    _end_sessions(session, account)
    session.flush()


def set_role(*, session: Session, account: StaffAccount, role: str, active: bool) -> None:
    if role not in set(StaffRole):
        raise StaffError(f"Unknown role {role!r}.")
    if role == StaffRole.PARTNER and account.partner_id is None:
        raise StaffError("A partner account needs a partner; create it with --partner.")
    account.role = role
    account.active = active
    account.session_epoch += 1
    session.add(account)
    _end_sessions(session, account)
    session.flush()


def _end_sessions(session: Session, account: StaffAccount) -> None:
    """Every login of this account ends (its password or role changed)."""
    session.exec(delete(StaffSession).where(col(StaffSession.account_id) == account.id))  # type: ignore[call-overload]


def _failures(session: Session, column: object, value: str, since: datetime) -> int:
    query = select(func.count()).where(column == value, col(LoginFailure.at) >= since)
    return session.exec(query).one()  # type: ignore[call-overload,no-any-return]


def authenticate(
    *, session: Session, email: str, password: str, address: str, now: datetime | None = None
) -> StaffAccount:
    """The active account with this email and password, or LoginRefused / TooManyAttempts."""
    now = now or utcnow()
    email = normal_email(email)[:320]
    address = address[:64]
    since = now - WINDOW
    if (
        _failures(session, LoginFailure.email, email, since) >= MAX_FAILURES_PER_EMAIL
        or _failures(session, LoginFailure.address, address, since) >= MAX_FAILURES_PER_ADDRESS
    ):
        raise TooManyAttempts("Too many failed logins; try again in 15 minutes.")
    account = find_staff(session=session, email=email)
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        if account is None or not account.active:
            raise VerificationError("no such active account")
    except (VerificationError, InvalidHashError):
        session.add(LoginFailure(email=email, address=address, at=now))
        session.flush()
        raise LoginRefused("Wrong email or password.") from None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.last_login_at = now
    session.add(account)
    session.exec(delete(LoginFailure).where(col(LoginFailure.email) == email))  # type: ignore[call-overload]
    session.exec(delete(LoginFailure).where(col(LoginFailure.at) < now - WINDOW))  # type: ignore[call-overload]
    session.flush()
    return account
