"""Accounts, remote desktop, SMBv1, firewall, auto-logon and BitLocker."""

from __future__ import annotations

from datetime import date

from kenshin.domain import VerdictStatus
from kenshin.terminals.assessment import Outcome, outcome, unreadable
from kenshin.terminals.knowledge import checkbook
from kenshin.terminals.model import CollectedTerminal

ADMINISTRATORS = "terminal.accounts.administrators"
LOCAL_ACCOUNTS = "terminal.accounts.local"
RDP = "terminal.rdp"
SMB1 = "terminal.smb1"
FIREWALL = "terminal.firewall"
AUTOLOGON = "terminal.autologon"
BITLOCKER = "terminal.bitlocker"

# Well-known SIDs that mean "everybody" when they sit in the local Administrators group
# (Microsoft Learn, "Well-known SIDs"): Everyone, INTERACTIVE, Authenticated Users, the
# local Users group; and domain RIDs 513 (Domain Users) and 515 (Domain Computers).
_EVERYONE_SIDS = {"S-1-1-0", "S-1-5-4", "S-1-5-11", "S-1-5-32-545"}
_EVERYONE_RIDS = ("-513", "-515")


def administrators_rule(collected: CollectedTerminal, today: date) -> Outcome:
    members = collected.accounts.administrators if collected.accounts else None
    if members is None:
        return unreadable(ADMINISTRATORS, collected, "administrators")
    names = ", ".join(m.display for m in members)
    evidence = f"S-1-5-32-544 members: {names or '(none)'}"
    everyone = [
        m
        for m in members
        if m.sid
        and (
            m.sid in _EVERYONE_SIDS
            or (m.sid.startswith("S-1-5-21-") and m.sid.endswith(_EVERYONE_RIDS))
        )
    ]
    if everyone:
        return outcome(
            ADMINISTRATORS,
            VerdictStatus.BAD,
            "everyone",
            evidence,
            names=", ".join(m.display for m in everyone),
        )
    limit = checkbook().thresholds["max_administrators"]
    if len(members) > limit:
        return outcome(
            ADMINISTRATORS,
            VerdictStatus.WARNING,
            "many",
            evidence,
            count=len(members),
            limit=limit,
            names=names,
        )
    return outcome(
        ADMINISTRATORS, VerdictStatus.OK, "few", evidence, count=len(members), names=names
    )


def local_accounts_rule(collected: CollectedTerminal, today: date) -> Outcome:
    users = collected.accounts.local_users if collected.accounts else None
    if users is None:
        return unreadable(LOCAL_ACCOUNTS, collected, "local_users")
    enabled = [u for u in users if u.enabled]
    evidence = "enabled local accounts: " + (", ".join(u.name for u in enabled) or "(none)")
    guest = [u for u in enabled if u.rid == 501]
    if guest:
        return outcome(LOCAL_ACCOUNTS, VerdictStatus.BAD, "guest", evidence, name=guest[0].name)
    no_password = [u for u in enabled if u.password_required is False]
    if no_password:
        return outcome(
            LOCAL_ACCOUNTS,
            VerdictStatus.WARNING,
            "no_password",
            evidence,
            names=", ".join(u.name for u in no_password),
        )
    return outcome(LOCAL_ACCOUNTS, VerdictStatus.OK, "clean", evidence, count=len(enabled))


def rdp_rule(collected: CollectedTerminal, today: date) -> Outcome:
    rdp = collected.rdp
    deny = rdp.effective_deny if rdp is not None else None
    if rdp is None or deny is None:
        return outcome(
            RDP,
            VerdictStatus.UNKNOWN,
            "unreadable",
            collected.why_unreadable("rdp") or "fDenyTSConnections not readable",
        )
    nla = rdp.effective_nla
    evidence = (
        f"fDenyTSConnections={rdp.deny_connections} (policy {rdp.policy_deny_connections}); "
        f"UserAuthentication={rdp.user_authentication} (policy {rdp.policy_user_authentication})"
    )
    if deny != 0:
        return outcome(RDP, VerdictStatus.OK, "off", evidence)
    if nla == 0:
        return outcome(RDP, VerdictStatus.BAD, "no_nla", evidence)
    return outcome(RDP, VerdictStatus.WARNING, "enabled", evidence)


def smb1_rule(collected: CollectedTerminal, today: date) -> Outcome:
    smb = collected.smb1
    if smb is None:
        return unreadable(SMB1, collected, "smb1")
    evidence = (
        f"LanmanServer SMB1={smb.server_smb1}; mrxsmb10 Start={smb.client_driver_start}; "
        f"SMB1Protocol feature InstallState={smb.feature_state}"
    )
    server_on: bool | None
    if smb.server_smb1 == 0 or smb.feature_state in (2, 3):
        server_on = False
    elif smb.feature_state == 1 or smb.server_smb1 == 1:
        server_on = True
    elif collected.os.build < 16299:
        # Before Windows 10 1709 the SMB1 server is on unless SMB1=0 says otherwise.
        server_on = True
    else:
        server_on = None
    client_on = smb.client_driver_start in (2, 3)
    if server_on:
        return outcome(SMB1, VerdictStatus.BAD, "on", evidence)
    if client_on and smb.feature_state not in (2, 3):
        return outcome(SMB1, VerdictStatus.BAD, "client_on", evidence)
    if server_on is None:
        return outcome(SMB1, VerdictStatus.UNKNOWN, "unreadable", evidence)
    return outcome(SMB1, VerdictStatus.OK, "off", evidence)


def firewall_rule(collected: CollectedTerminal, today: date) -> Outcome:
    profiles = collected.firewall
    if not profiles:
        return unreadable(FIREWALL, collected, "firewall")
    effective = {p.name: p.effective for p in profiles}
    evidence = ", ".join(f"{name}={value}" for name, value in effective.items())
    off = [name for name, value in effective.items() if value is False]
    if off:
        return outcome(FIREWALL, VerdictStatus.BAD, "off", evidence, profiles=", ".join(off))
    if any(value is None for value in effective.values()):
        return outcome(FIREWALL, VerdictStatus.UNKNOWN, "unreadable", evidence)
    return outcome(FIREWALL, VerdictStatus.OK, "on", evidence)


def autologon_rule(collected: CollectedTerminal, today: date) -> Outcome:
    auto = collected.autologon
    if auto is None:
        return unreadable(AUTOLOGON, collected, "autologon")
    user = auto.default_user or "-"
    evidence = (
        f"AutoAdminLogon={auto.auto_admin_logon}; DefaultUserName={user}; "
        f"DefaultPassword present={auto.password_stored}"
    )
    if (auto.auto_admin_logon or "").strip() == "1":
        if auto.password_stored:
            return outcome(AUTOLOGON, VerdictStatus.BAD, "password", evidence, user=user)
        return outcome(AUTOLOGON, VerdictStatus.BAD, "on", evidence, user=user)
    return outcome(AUTOLOGON, VerdictStatus.OK, "off", evidence)


def bitlocker_rule(collected: CollectedTerminal, today: date) -> Outcome:
    volumes = collected.bitlocker
    if volumes is None:
        return unreadable(BITLOCKER, collected, "bitlocker")
    system = next((v for v in volumes if v.drive.upper().startswith("C:")), None)
    if system is None:
        system = volumes[0] if volumes else None
    if system is None or system.protection_status not in (0, 1):
        return outcome(BITLOCKER, VerdictStatus.UNKNOWN, "unreadable", "no readable system volume")
    evidence = ", ".join(f"{v.drive} ProtectionStatus={v.protection_status}" for v in volumes)
    if system.protection_status == 1:
        return outcome(BITLOCKER, VerdictStatus.OK, "on", evidence, drive=system.drive)
    return outcome(BITLOCKER, VerdictStatus.WARNING, "off", evidence, drive=system.drive)
