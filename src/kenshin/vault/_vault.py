"""Device accounts handed over for path C, sealed at rest, every access audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kenshin.domain import AuditOutcome, refuse_closed
from kenshin.domain.clock import as_utc
from kenshin.store import AuditLog, EngagementRepository, rows_changed
from kenshin.store.models_workflow import VaultEntryRow
from kenshin.vault._crypto import VaultError, VaultKey

FORMAT = "kenshin-vault/1"


class Secret:
    """A secret string that never shows itself by accident (repr, str, f-strings, logs)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(********)"

    def __str__(self) -> str:
        return "********"

    def __format__(self, spec: str) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not pickled")


@dataclass(frozen=True)
class DeviceAccount:
    """A device login handed over by the hospital or vendor."""

    username: Secret
    password: Secret
    note: str = ""


@dataclass(frozen=True)
class VaultEntry:
    """What may be shown about an entry without revealing it."""

    device_key: str
    created_at: datetime
    created_by: str


def _associated(code: str, device_key: str) -> bytes:
    return f"{FORMAT}\x00{code}\x00{device_key}".encode()


class Vault:
    """The credential vault of the store, opened with one key, within one session."""

    def __init__(self, session: Session, key: VaultKey) -> None:
        self.session = session
        self.key = key
        self.engagements = EngagementRepository(session)
        self.audit_log = AuditLog(session)

    def _audit(
        self,
        actor: str,
        action: str,
        code: str,
        targets: tuple[str, ...] = (),
        outcome: AuditOutcome = AuditOutcome.SUCCEEDED,
        **details: str,
    ) -> None:
        self.audit_log.note(actor, action, code, outcome=outcome, targets=targets, details=details)

    def _row(self, code: str, device_key: str) -> VaultEntryRow | None:
        engagement_id = self.engagements.engagement_id(code)
        return self.session.scalar(
            select(VaultEntryRow).where(
                VaultEntryRow.engagement_id == engagement_id,
                VaultEntryRow.device_key == device_key,
            )
        )

    def put(
        self, code: str, device_key: str, account: DeviceAccount, actor: str, now: datetime
    ) -> None:
        """Seal and store (or replace) the account for a device of an open engagement."""
        engagement = self.engagements.get(code)
        refuse_closed(engagement, VaultError)
        if device_key not in {d.key for d in engagement.devices}:
            raise VaultError("vault.no_device", device=device_key, code=code)
        if not account.username.reveal() or not account.password.reveal():
            raise VaultError("vault.empty")
        plaintext = json.dumps(
            {
                "username": account.username.reveal(),
                "password": account.password.reveal(),
                "note": account.note,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        nonce, ciphertext = self.key.seal(plaintext, _associated(code, device_key))
        row = self._row(code, device_key)
        if row is None:
            row = VaultEntryRow(
                engagement_id=self.engagements.engagement_id(code), device_key=device_key
            )
            self.session.add(row)
        row.nonce = nonce
        row.ciphertext = ciphertext
        row.key_id = self.key.key_id
        row.created_at = now
        row.created_by = actor
        self.session.flush()
        self._audit(actor, "vault.store", code, (device_key,))

    def entries(self, code: str, actor: str) -> list[VaultEntry]:
        """The devices that have an account stored (nothing secret)."""
        engagement_id = self.engagements.engagement_id(code)
        rows = self.session.scalars(
            select(VaultEntryRow)
            .where(VaultEntryRow.engagement_id == engagement_id)
            .order_by(VaultEntryRow.device_key)
        ).all()
        self._audit(actor, "vault.list", code)
        return [VaultEntry(r.device_key, as_utc(r.created_at), r.created_by) for r in rows]

    def reveal(self, code: str, device_key: str, actor: str) -> DeviceAccount:
        """Open one entry; the access is audited whether it works or not."""
        row = self._row(code, device_key)
        if row is None:
            self._audit(
                actor, "vault.reveal", code, (device_key,), AuditOutcome.FAILED, reason="missing"
            )
            raise VaultError("vault.missing", device=device_key, code=code)
        if row.key_id != self.key.key_id:
            self._audit(
                actor, "vault.reveal", code, (device_key,), AuditOutcome.REFUSED, reason="wrong_key"
            )
            raise VaultError("vault.wrong_key")
        try:
            plaintext = self.key.open(row.nonce, row.ciphertext, _associated(code, device_key))
        except VaultError:
            self._audit(
                actor,
                "vault.reveal",
                code,
                (device_key,),
                AuditOutcome.FAILED,
                reason="cannot_open",
            )
            raise
        data = json.loads(plaintext.decode("utf-8"))
        self._audit(actor, "vault.reveal", code, (device_key,))
        return DeviceAccount(Secret(data["username"]), Secret(data["password"]), data["note"])

    def remove(self, code: str, device_key: str, actor: str) -> None:
        row = self._row(code, device_key)
        if row is None:
            raise VaultError("vault.missing", device=device_key, code=code)
        self.session.delete(row)
        self.session.flush()
        self._audit(actor, "vault.remove", code, (device_key,))


def purge(session: Session, code: str, actor: str) -> int:
    """Delete every vault entry of an engagement (no key needed); returns how many."""
    engagement_id = EngagementRepository(session).engagement_id(code)
    result = session.execute(
        delete(VaultEntryRow).where(VaultEntryRow.engagement_id == engagement_id)
    )
    count = rows_changed(result)
    AuditLog(session).note(actor, "vault.purge", code, details={"entries": str(count)})
    return count
