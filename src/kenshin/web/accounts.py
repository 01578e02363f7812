"""Accounts, invitations and sessions: the only code that touches passwords and tokens.

Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106) and chosen after
NIST SP 800-63B (``web/passwords.py``). Invitation and session tokens are random
256-bit values given to the user once; the database keeps only their SHA-256 digests.
An invitation never touches an existing account: a surveyor resets a password by
clearing it and sending a reset link, and every session of the account ends. Repeated
failed logins slow down the source that makes them (``LoginBackoff`` in ``web/login.py``), so
nobody can lock the owner out.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kenshin.domain import AuditOutcome
from kenshin.domain.clock import now_utc
from kenshin.errors import KenshinError
from kenshin.store import AuditLog, EngagementRepository
from kenshin.store.models import EngagementRow
from kenshin.store.models_web import InvitationRow, MembershipRow, SessionRow, UserRow
from kenshin.web.passwords import MAX_LENGTH, MIN_LENGTH, password_problem

SESSION_LIFETIME = timedelta(hours=8)
INVITATION_LIFETIME = timedelta(days=7)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")

_hasher = PasswordHasher()


class WebError(KenshinError):
    """Something a web user asked for cannot be done; the message says why."""


class Role(StrEnum):
    ADMIN = "admin"
    SURVEYOR = "surveyor"
    HOSPITAL = "hospital"
    VENDOR = "vendor"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    display_name: str
    role: Role

    @property
    def is_staff(self) -> bool:
        """Surveyors and admins run engagements; hospitals and vendors see their own."""
        return self.role in (Role.ADMIN, Role.SURVEYOR)


@dataclass(frozen=True)
class Membership:
    engagement_code: str
    vendor_key: str | None


@dataclass(frozen=True)
class SessionInfo:
    user: User
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user(row: UserRow) -> User:
    return User(row.id, row.email, row.display_name, Role(row.role))


def _check_password(password: str, email: str) -> None:
    problem = password_problem(password, email)
    if problem is not None:
        raise WebError(problem, length=MIN_LENGTH, most=MAX_LENGTH)


def checked_email(email: str) -> str:
    """``email`` trimmed and lower-cased if it looks like an address; ``WebError`` if not."""
    cleaned = email.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise WebError("web.bad_email", email=email.strip()[:80])
    return cleaned


@dataclass(frozen=True)
class UserSummary:
    """One account as the surveyor's user list shows it."""

    id: int
    email: str
    display_name: str
    role: Role
    active: bool
    password_set: bool
    engagements: tuple[str, ...]


@dataclass(frozen=True)
class InvitationSummary:
    """One invitation not yet used, revoked or expired."""

    id: int
    email: str
    role: Role
    engagement_code: str | None
    vendor_key: str | None
    expires_at: datetime
    is_reset: bool


def _audit(
    session: Session,
    actor: str,
    action: str,
    outcome: AuditOutcome,
    engagement: str | None = None,
    **details: str,
) -> None:
    AuditLog(session).note(actor, action, engagement, outcome=outcome, details=details)


class Accounts:
    """Account operations within one database session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create_user(self, email: str, password: str, role: Role, display_name: str = "") -> User:
        _check_password(password, email)
        row = UserRow(
            email=checked_email(email),
            display_name=display_name,
            role=role.value,
            password_hash=_hasher.hash(password),
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            raise WebError("web.user_exists", email=email) from None
        _audit(
            self.session,
            "system",
            "user.create",
            AuditOutcome.SUCCEEDED,
            email=row.email,
            role=role.value,
        )
        return _user(row)

    def authenticate(self, email: str, password: str) -> User:
        """The user for these credentials; one message for every refusal."""
        row = self.session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
        if row is None or not row.active or row.password_hash is None:
            _hasher.hash(password)  # same work either way: no user enumeration by timing
            _audit(self.session, email, "login", AuditOutcome.REFUSED, reason="unknown user")
            raise WebError("web.login_failed")
        try:
            _hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            row.failed_logins += 1
            _audit(self.session, row.email, "login", AuditOutcome.FAILED)
            raise WebError("web.login_failed") from None
        row.failed_logins = 0
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        _audit(self.session, row.email, "login", AuditOutcome.SUCCEEDED)
        return _user(row)

    def start_session(self, user: User) -> tuple[str, SessionInfo]:
        """A new session token (for the cookie) and its CSRF token."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = now_utc()
        self.session.add(
            SessionRow(
                token_digest=_digest(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
        self.session.flush()
        return token, SessionInfo(user, csrf)

    def resolve_session(self, token: str | None) -> SessionInfo | None:
        if not token:
            return None
        row = self.session.scalar(
            select(SessionRow).where(SessionRow.token_digest == _digest(token))
        )
        if row is None:
            return None
        expires_at = _aware(row.expires_at)
        if expires_at is None or expires_at < now_utc():
            self.session.delete(row)
            return None
        user = self.session.get(UserRow, row.user_id)
        if user is None or not user.active:
            return None
        return SessionInfo(_user(user), row.csrf_token)

    def end_session(self, token: str | None) -> None:
        if token:
            self.session.execute(
                delete(SessionRow).where(SessionRow.token_digest == _digest(token))
            )

    def invite(
        self,
        inviter: User,
        email: str,
        role: Role,
        engagement_code: str | None = None,
        vendor_key: str | None = None,
    ) -> str:
        """A one-time invitation link token for a hospital, vendor or surveyor user."""
        if not inviter.is_staff:
            raise WebError("web.forbidden")
        email = checked_email(email)
        if self.session.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
            raise WebError("web.invite_exists", email=email)
        if role is Role.ADMIN and inviter.role is not Role.ADMIN:
            raise WebError("web.forbidden")
        engagement_id = None
        if role in (Role.HOSPITAL, Role.VENDOR):
            if engagement_code is None:
                raise WebError("web.invite_needs_engagement")
            engagement = EngagementRepository(self.session).get(engagement_code)
            engagement_id = EngagementRepository(self.session).engagement_id(engagement_code)
            known_vendors = {v.key for v in engagement.vendors}
            if role is Role.VENDOR and (vendor_key is None or vendor_key not in known_vendors):
                raise WebError("web.invite_needs_vendor")
        token = secrets.token_urlsafe(32)
        self.session.add(
            InvitationRow(
                token_digest=_digest(token),
                email=email.strip().lower(),
                role=role.value,
                engagement_id=engagement_id,
                vendor_key=vendor_key if role is Role.VENDOR else None,
                invited_by=inviter.id,
                expires_at=now_utc() + INVITATION_LIFETIME,
            )
        )
        self.session.flush()
        _audit(
            self.session,
            inviter.email,
            "user.invite",
            AuditOutcome.SUCCEEDED,
            engagement_code,
            email=email,
            role=role.value,
        )
        return token

    def _live_invitation(self, token: str) -> InvitationRow | None:
        row = self.session.scalar(
            select(InvitationRow).where(InvitationRow.token_digest == _digest(token))
        )
        if row is None or row.used_at is not None or row.revoked_at is not None:
            return None
        expires_at = _aware(row.expires_at)
        if expires_at is None or expires_at < now_utc():
            return None
        return row

    def invitation_is_live(self, token: str) -> bool:
        """Whether the link can still be used (a dead link shows no password form)."""
        return self._live_invitation(token) is not None

    def accept_invitation(self, token: str, password: str, display_name: str = "") -> User:
        """Create the invited account, or set the password of an account a surveyor reset.

        An account that has a password is never changed by a link.
        """
        row = self._live_invitation(token)
        if row is None:
            raise WebError("web.invitation_invalid")
        _check_password(password, row.email)
        user = self.session.scalar(select(UserRow).where(UserRow.email == row.email))
        if user is None:
            user = UserRow(
                email=row.email,
                display_name=display_name,
                role=row.role,
                password_hash=_hasher.hash(password),
            )
            self.session.add(user)
            self.session.flush()
        elif user.role != row.role:
            raise WebError("web.invitation_role_conflict")
        elif user.password_hash is not None or not user.active:
            raise WebError("web.invitation_invalid")
        else:
            user.password_hash = _hasher.hash(password)
            user.failed_logins = 0
            self._end_sessions(user.id)
        if row.engagement_id is not None:
            existing = self.session.scalar(
                select(MembershipRow).where(
                    MembershipRow.user_id == user.id,
                    MembershipRow.engagement_id == row.engagement_id,
                )
            )
            if existing is None:
                self.session.add(
                    MembershipRow(
                        user_id=user.id, engagement_id=row.engagement_id, vendor_key=row.vendor_key
                    )
                )
        row.used_at = now_utc()
        self.session.flush()
        _audit(self.session, user.email, "user.accept_invitation", AuditOutcome.SUCCEEDED)
        return _user(user)

    # -- account management --------------------------------------------------------------

    def _end_sessions(self, user_id: int) -> None:
        self.session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))

    def change_password(self, user: User, current: str, new: str) -> None:
        """The user's own change: the current password first; every session ends."""
        row = self.session.get(UserRow, user.id)
        if row is None or row.password_hash is None:
            raise WebError("web.login_failed")
        try:
            _hasher.verify(row.password_hash, current)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            _audit(self.session, row.email, "user.password", AuditOutcome.REFUSED)
            raise WebError("web.password_current_wrong") from None
        _check_password(new, row.email)
        row.password_hash = _hasher.hash(new)
        self._end_sessions(row.id)
        _audit(self.session, row.email, "user.password", AuditOutcome.SUCCEEDED)

    def _managed(self, actor: User, user_id: int) -> UserRow:
        """The account ``actor`` may manage: staff manage hospital and vendor users; only an
        admin manages surveyors and admins; nobody resets or deactivates themselves."""
        row = self.session.get(UserRow, user_id)
        if row is None or not actor.is_staff:
            raise WebError("web.no_user", email=str(user_id))
        if row.id == actor.id:
            raise WebError("web.users.not_self")
        if Role(row.role) in (Role.ADMIN, Role.SURVEYOR) and actor.role is not Role.ADMIN:
            raise WebError("web.forbidden")
        return row

    def reset_password(self, actor: User, user_id: int) -> str:
        """Clear the account's password, end its sessions, and return a reset link token."""
        row = self._managed(actor, user_id)
        row.password_hash = None
        self._end_sessions(row.id)
        token = secrets.token_urlsafe(32)
        self.session.add(
            InvitationRow(
                token_digest=_digest(token),
                email=row.email,
                role=row.role,
                engagement_id=None,
                vendor_key=None,
                invited_by=actor.id,
                expires_at=now_utc() + INVITATION_LIFETIME,
            )
        )
        self.session.flush()
        _audit(self.session, actor.email, "user.reset", AuditOutcome.SUCCEEDED, email=row.email)
        return token

    def set_active(self, actor: User, user_id: int, active: bool) -> None:
        """Deactivate (every session ends at once) or reactivate an account."""
        row = self._managed(actor, user_id)
        row.active = active
        if not active:
            self._end_sessions(row.id)
        action = "user.activate" if active else "user.deactivate"
        _audit(self.session, actor.email, action, AuditOutcome.SUCCEEDED, email=row.email)

    def users(self) -> list[UserSummary]:
        codes: dict[int, list[str]] = {}
        for user_id, code in self.session.execute(
            select(MembershipRow.user_id, EngagementRow.code).join(
                EngagementRow, EngagementRow.id == MembershipRow.engagement_id
            )
        ):
            codes.setdefault(user_id, []).append(code)
        rows = self.session.scalars(select(UserRow).order_by(UserRow.role, UserRow.email))
        return [
            UserSummary(
                r.id,
                r.email,
                r.display_name,
                Role(r.role),
                r.active,
                r.password_hash is not None,
                tuple(sorted(codes.get(r.id, []))),
            )
            for r in rows
        ]

    def invitations(self) -> list[InvitationSummary]:
        """Invitations and reset links that can still be used."""
        now = now_utc()
        found = []
        rows = self.session.execute(
            select(InvitationRow, EngagementRow.code)
            .outerjoin(EngagementRow, EngagementRow.id == InvitationRow.engagement_id)
            .where(InvitationRow.used_at.is_(None), InvitationRow.revoked_at.is_(None))
            .order_by(InvitationRow.id)
        )
        existing = set(self.session.scalars(select(UserRow.email)))
        for row, code in rows:
            expires_at = _aware(row.expires_at)
            if expires_at is None or expires_at < now:
                continue
            found.append(
                InvitationSummary(
                    row.id,
                    row.email,
                    Role(row.role),
                    code,
                    row.vendor_key,
                    expires_at,
                    row.email in existing,
                )
            )
        return found

    def revoke_invitation(self, actor: User, invitation_id: int) -> None:
        if not actor.is_staff:
            raise WebError("web.forbidden")
        row = self.session.get(InvitationRow, invitation_id)
        if row is None or row.used_at is not None or row.revoked_at is not None:
            raise WebError("web.invitation_invalid")
        row.revoked_at = now_utc()
        _audit(self.session, actor.email, "user.revoke", AuditOutcome.SUCCEEDED, email=row.email)

    def user_by_email(self, email: str) -> User:
        row = self.session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
        if row is None:
            raise WebError("web.no_user", email=email)
        return _user(row)

    def memberships(self, user: User) -> list[Membership]:
        rows = self.session.execute(
            select(EngagementRow.code, MembershipRow.vendor_key)
            .join(MembershipRow, MembershipRow.engagement_id == EngagementRow.id)
            .where(MembershipRow.user_id == user.id)
        )
        return [Membership(code, vendor_key) for code, vendor_key in rows]
