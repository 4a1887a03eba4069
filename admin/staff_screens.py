"""Staff accounts screen (admins only): add staff, change roles, disable, reset passwords.

The last active admin cannot be demoted or disabled, so the admin can never lock itself out.
"""

# No `from __future__ import annotations` here: FastAPI must resolve the `Staff` dependency
# alias defined inside the router builder.

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, func, select

from admin.accounts import StaffError, create_staff, set_password, set_role
from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount, StaffRole
from rewards.partners import list_partners


def _view(account: StaffAccount) -> dict[str, object]:
    """What the audit keeps of an account (never the password hash)."""
    return {
        "email": account.email,
        "role": account.role,
        "active": account.active,
        "partner_id": account.partner_id,
    }


def _active_admins(session: Session) -> int:
    query = select(func.count()).where(
        StaffAccount.role == StaffRole.ADMIN,
        StaffAccount.active == True,  # noqa: E712
    )
    return session.exec(query).one()


def build_staff_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/staff", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard("staff"))]

    def page(request: Request, staff: StaffAccount, error: str | None = None) -> HTMLResponse:
        with console.db.session() as session:
            accounts = session.exec(select(StaffAccount).order_by(StaffAccount.id)).all()
            partners = {partner.id: partner.name for partner in list_partners(session=session)}
            session.expunge_all()
        return console.pages.render(
            request,
            "admin/staff.html",
            staff,
            area="staff",
            title="Staff",
            accounts=accounts,
            partners=partners,
            roles=list(StaffRole),
            error=error,
            status_code=400 if error else 200,
        )

    @router.get("", response_class=HTMLResponse)
    def staff_list(request: Request, staff: Staff) -> HTMLResponse:
        return page(request, staff)

    @router.post("")
    def staff_create(
        request: Request,
        staff: Staff,
        email: Annotated[str, Form(max_length=320)],
        role: Annotated[str, Form(max_length=20)],
        password: Annotated[str, Form(max_length=1000)],
        partner_id: Annotated[str, Form(max_length=12)] = "",
    ) -> Response:
        try:
            with console.db.session() as session:
                account = create_staff(
                    session=session,
                    email=email,
                    role=role,
                    password=password,
                    partner_id=int(partner_id) if partner_id.isdigit() else None,
                )
                record(
                    session=session,
                    staff=staff,
                    action="staff.create",
                    target=account.email,
                    after=_view(account),
                )
        except StaffError as error:
            return page(request, staff, str(error))
        return console.pages.redirect(request, "/admin/staff", f"Added {email.strip().lower()}.")

    @router.post("/{account_id}")
    def staff_update(
        request: Request,
        staff: Staff,
        account_id: int,
        role: Annotated[str, Form(max_length=20)],
        active: Annotated[bool, Form()] = False,
        password: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        try:
            with console.db.session() as session:
                account = session.get(StaffAccount, account_id)
                if account is None:
                    raise StaffError("No such staff account.")
                before = _view(account)
                losing_admin = account.role == StaffRole.ADMIN and account.active
                if losing_admin and (role != StaffRole.ADMIN or not active):
                    if _active_admins(session) <= 1:
                        raise StaffError("This is the last active admin; add another first.")
                set_role(session=session, account=account, role=role, active=active)
                if password:
                    set_password(session=session, account=account, password=password)
                after = {**_view(account), "password_changed": bool(password)}
                record(
                    session=session,
                    staff=staff,
                    action="staff.update",
                    target=account.email,
                    before=before,
                    after=after,
                )
        except StaffError as error:
            return page(request, staff, str(error))
        return console.pages.redirect(request, "/admin/staff", "Saved.")

    return router
