"""Account management in the browser: invitations, the user list, one's own password.

A surveyor invites (never an existing e-mail), lists users and open invitations, revokes
an invitation, resets a user's password (the account's password is cleared, its
sessions end, and a one-time link is shown) and deactivates or reactivates a user.
Surveyors manage hospital and vendor users; only an admin manages surveyors. Everyone
changes their own password after giving the current one; every session then ends and
this browser gets a new one.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from kenshin.i18n import translate
from kenshin.store import EngagementRepository
from kenshin.web._kit import CsrfField, WebKit, see_other
from kenshin.web.accounts import Accounts, Role, SessionInfo, WebError


def users_router(kit: WebKit) -> APIRouter:
    """The invitation, user-list and password routes."""
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]
    staff = Annotated[SessionInfo, Depends(kit.require_staff_page)]

    def vendors() -> list[dict[str, Any]]:
        """Every engagement's vendors, for the invitation form's list."""
        with kit.db() as session:
            repository = EngagementRepository(session)
            return [
                {
                    "code": s.code,
                    "institution": s.institution,
                    "vendors": [(v.key, v.company) for v in repository.get(s.code).vendors],
                }
                for s in repository.list()
            ]

    def admin_page(
        request: Request,
        info: SessionInfo,
        *,
        link: str | None = None,
        link_for: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        with kit.db() as session:
            accounts = Accounts(session)
            users = accounts.users()
            invitations = accounts.invitations()
        return kit.page(
            request,
            "admin_invite.html",
            info,
            link=link,
            link_for=link_for,
            error=error,
            engagements=vendors(),
            users=users,
            invitations=invitations,
            roles=[Role.HOSPITAL.value, Role.VENDOR.value, Role.SURVEYOR.value]
            + ([Role.ADMIN.value] if info.user.role is Role.ADMIN else []),
            status=status,
        )

    def link_to(request: Request, token: str) -> str:
        return str(request.base_url).rstrip("/") + f"/invite/{token}"

    @router.get("/admin/invitations", response_class=HTMLResponse, name="invitation_admin")
    @router.get("/admin/users", response_class=HTMLResponse)
    def users_admin(request: Request, info: staff) -> Response:
        return admin_page(request, info)

    @router.post("/admin/invitations", response_class=HTMLResponse)
    def create_invitation(
        request: Request,
        info: user,
        email: Annotated[str, Form()],
        role: Annotated[str, Form()],
        engagement: Annotated[str, Form()] = "",
        vendor: Annotated[str, Form()] = "",
        vendor_key: Annotated[str, Form()] = "",
        csrf: CsrfField = "",
    ) -> Response:
        kit.check_staff_post(info, csrf)
        try:
            chosen_role = Role(role)
        except ValueError:
            raise WebError("web.bad_choice", value=role) from None
        if vendor and "|" in vendor:  # "<engagement>|<vendor key>" from the list
            engagement, vendor_key = vendor.split("|", 1)
        try:
            with kit.db() as session:
                token = Accounts(session).invite(
                    info.user, email, chosen_role, engagement or None, vendor_key or None
                )
        except WebError as exc:
            message = exc.message(kit.lang_of(request))
            return admin_page(request, info, error=message, status=400)
        return admin_page(request, info, link=link_to(request, token), link_for=email)

    @router.post("/admin/invitations/{invitation_id}/revoke")
    def revoke(invitation_id: int, info: user, csrf: CsrfField = "") -> Response:
        kit.check_staff_post(info, csrf)
        with kit.db() as session:
            Accounts(session).revoke_invitation(info.user, invitation_id)
        return see_other("/admin/users#invitations")

    @router.post("/admin/users/{user_id}/reset", response_class=HTMLResponse)
    def reset(request: Request, user_id: int, info: user, csrf: CsrfField = "") -> Response:
        kit.check_staff_post(info, csrf)
        with kit.db() as session:
            accounts = Accounts(session)
            token = accounts.reset_password(info.user, user_id)
            email = next(u.email for u in accounts.users() if u.id == user_id)
        return admin_page(request, info, link=link_to(request, token), link_for=email)

    def set_active(info: SessionInfo, user_id: int, csrf: str, active: bool) -> Response:
        kit.check_staff_post(info, csrf)
        with kit.db() as session:
            Accounts(session).set_active(info.user, user_id, active)
        return see_other("/admin/users#users")

    @router.post("/admin/users/{user_id}/deactivate")
    def deactivate(user_id: int, info: user, csrf: CsrfField = "") -> Response:
        return set_active(info, user_id, csrf, False)

    @router.post("/admin/users/{user_id}/activate")
    def activate(user_id: int, info: user, csrf: CsrfField = "") -> Response:
        return set_active(info, user_id, csrf, True)

    @router.get("/account/password", response_class=HTMLResponse)
    def password_form(request: Request, info: user) -> Response:
        done = request.query_params.get("done", "")
        message = translate("web.password_changed", kit.lang_of(request)) if done else ""
        return kit.page(request, "password.html", info, error="", message=message)

    @router.post("/account/password", response_class=HTMLResponse)
    def change_password(
        request: Request,
        info: user,
        current: Annotated[str, Form()],
        password: Annotated[str, Form()],
        csrf: CsrfField = "",
    ) -> Response:
        kit.check_csrf(info, csrf)
        try:
            with kit.db() as session:
                Accounts(session).change_password(info.user, current, password)
        except WebError as exc:
            return kit.page(
                request,
                "password.html",
                info,
                error=exc.message(kit.lang_of(request)),
                message="",
                status=400,
            )
        response = see_other("/account/password?done=1")
        kit.start_session(response, info.user)
        return response

    return router
