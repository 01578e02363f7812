"""Accounts, invitations and sessions: the only code that touches passwords and tokens.

Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106). Invitation and
session tokens are random 256-bit values given to the user once; the database keeps
only their SHA-256 digests. Repeated failed logins lock the account for a while.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kenshin.domain import AuditEvent, AuditOutcome
from kenshin.errors import KenshinError
from kenshin.store import AuditLog, EngagementRepository
from kenshin.store.models import EngagementRow
from kenshin.store.models_web import InvitationRow, MembershipRow, SessionRow, UserRow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
INVITATION_LIFETIME = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12

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


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user(row: UserRow) -> User:
    return User(row.id, row.email, row.display_name, Role(row.role))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WebError("web.password_too_short", length=MIN_PASSWORD_LENGTH)


def _audit(
    session: Session,
    actor: str,
    action: str,
    outcome: AuditOutcome,
    engagement: str | None = None,
    **details: str,
) -> None:
    AuditLog(session).record(
        AuditEvent(
            actor=actor,
            action=action,
            outcome=outcome,
            at=_now(),
            engagement_code=engagement,
            details=details,
        )
    )


class Accounts:
    """Account operations within one database session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create_user(self, email: str, password: str, role: Role, display_name: str = "") -> User:
        _check_password(password)
        row = UserRow(
            email=email.strip().lower(),
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
        """The user for these credentials; counts failures and locks after too many."""
        row = self.session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
        now = _now()
        if row is None or not row.active or row.password_hash is None:
            _hasher.hash(password)  # same work either way: no user enumeration by timing
            _audit(self.session, email, "login", AuditOutcome.REFUSED, reason="unknown user")
            raise WebError("web.login_failed")
        locked_until = _aware(row.locked_until)
        if locked_until is not None and locked_until > now:
            _audit(self.session, row.email, "login", AuditOutcome.REFUSED, reason="locked")
            raise WebError("web.locked")
        try:
            _hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            row.failed_logins += 1
            if row.failed_logins >= MAX_FAILED_LOGINS:
                row.locked_until = now + LOCKOUT
                row.failed_logins = 0
            _audit(self.session, row.email, "login", AuditOutcome.FAILED)
            raise WebError("web.login_failed") from None
        row.failed_logins = 0
        row.locked_until = None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        _audit(self.session, row.email, "login", AuditOutcome.SUCCEEDED)
        return _user(row)

    def start_session(self, user: User) -> tuple[str, SessionInfo]:
        """A new session token (for the cookie) and its CSRF token."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = _now()
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
        if expires_at is None or expires_at < _now():
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
                expires_at=_now() + INVITATION_LIFETIME,
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

    def accept_invitation(self, token: str, password: str, display_name: str = "") -> User:
        row = self.session.scalar(
            select(InvitationRow).where(InvitationRow.token_digest == _digest(token))
        )
        expires_at = _aware(row.expires_at) if row else None
        if row is None or row.used_at is not None or expires_at is None or expires_at < _now():
            raise WebError("web.invitation_invalid")
        _check_password(password)
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
        else:
            user.password_hash = _hasher.hash(password)
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
        row.used_at = _now()
        self.session.flush()
        _audit(self.session, user.email, "user.accept_invitation", AuditOutcome.SUCCEEDED)
        return _user(user)

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
