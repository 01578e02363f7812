"""What the collector saw on one Windows terminal, as typed values.

``CollectedTerminal`` is the parser's result and the rules' input. ``None`` always
means "could not be read" (the collector says why in ``unreadable``); an empty tuple
means "read, and there was nothing".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

_V = TypeVar("_V")


@dataclass(frozen=True)
class Unreadable:
    """Something the collector could not read, and Windows' reason."""

    item: str
    reason: str


OS_OPTIONAL = (
    "edition_id",
    "product_name",
    "installation_type",
    "product_type",
    "display_version",
    "release_id",
    "service_pack",
    "architecture",
    "language",
)
"""The OsInfo fields that each source may leave out, read alike by every parser."""


@dataclass(frozen=True)
class OsInfo:
    caption: str
    version: str
    build: int
    ubr: int | None = None
    edition_id: str | None = None
    product_name: str | None = None
    installation_type: str | None = None
    product_type: int | None = None  # 1 workstation, 2 domain controller, 3 server
    display_version: str | None = None
    release_id: str | None = None
    service_pack: str | None = None
    architecture: str | None = None
    language: str | None = None
    install_date: datetime | None = None
    last_boot: datetime | None = None

    @property
    def full_build(self) -> str:
        return f"{self.build}.{self.ubr}" if self.ubr is not None else str(self.build)

    @property
    def is_multi_session(self) -> bool:
        """Windows 10/11 Enterprise multi-session: a client OS that reports ProductType 3."""
        names = f"{self.caption} {self.product_name or ''}".casefold()
        return (self.edition_id or "").casefold() == "serverrdsh" or (
            "multi-session" in names or "virtual desktops" in names
        )

    @property
    def is_server(self) -> bool:
        if self.is_multi_session:
            return False
        if self.product_type is not None:
            return self.product_type in (2, 3)
        return "server" in self.caption.lower()


@dataclass(frozen=True)
class EsuLicence:
    name: str
    license_status: int | None
    id: str | None = None

    @property
    def licensed(self) -> bool:
        return self.license_status == 1


@dataclass(frozen=True)
class HotFix:
    id: str
    installed_on: date | None
    description: str | None = None


@dataclass(frozen=True)
class SecurityCenterProduct:
    """A product registered in Security Center, its productState decoded by the parser."""

    name: str
    product_state: int
    exe_path: str | None = None
    state: str = "unknown"  # on, off, snoozed, expired, unknown
    signatures: str = "unknown"  # up_to_date, out_of_date, unknown


@dataclass(frozen=True)
class DefenderStatus:
    am_product_version: str | None
    am_engine_version: str | None
    signature_version: str | None
    signature_last_updated: datetime | None
    signature_age_days: int | None
    antivirus_enabled: bool | None
    real_time_protection_enabled: bool | None
    am_service_enabled: bool | None = None
    tamper_protected: bool | None = None
    am_running_mode: str | None = None  # "Normal", "Passive Mode", "EDR Block Mode", ...

    @property
    def passive(self) -> bool:
        """Defender stands aside for another product (passive, EDR block or SxS passive)."""
        mode = (self.am_running_mode or "").casefold()
        return "passive" in mode or "edr block" in mode


@dataclass(frozen=True)
class InstalledProduct:
    name: str
    version: str | None
    publisher: str | None = None


@dataclass(frozen=True)
class AntivirusInfo:
    security_center: tuple[SecurityCenterProduct, ...] | None
    defender: DefenderStatus | None
    installed_products: tuple[InstalledProduct, ...] = ()


@dataclass(frozen=True)
class PolicyPair:
    deny_read: int | None = None
    deny_write: int | None = None

    @property
    def denies_both(self) -> bool:
        """Read and write both denied: the device class is blocked."""
        return self.deny_read == 1 and self.deny_write == 1


@dataclass(frozen=True)
class RemovablePolicy:
    deny_all: int | None = None
    disk: PolicyPair = PolicyPair()
    wpd: PolicyPair = PolicyPair()


@dataclass(frozen=True)
class InstallRestrictions:
    """``HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions``."""

    deny_removable_devices: int | None = None
    deny_unspecified: int | None = None
    deny_device_classes: int | None = None
    denied_classes: tuple[str, ...] = ()
    deny_device_ids: int | None = None
    denied_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class UsbInfo:
    usbstor_start: int | None
    machine_policy: RemovablePolicy = RemovablePolicy()
    user_policy: RemovablePolicy = RemovablePolicy()
    write_protect: int | None = None
    # None: not examined (older collector files, or text inputs that did not show it).
    uaspstor_start: int | None = None
    install_restrictions: InstallRestrictions | None = None
    # What a text input did not show (e.g. "RemovableStorageDevices"); empty: all read.
    not_examined: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalUser:
    name: str
    sid: str
    enabled: bool | None  # None: Win32_UserAccount gave no Disabled value
    password_required: bool | None = None

    @property
    def rid(self) -> int | None:
        tail = self.sid.rsplit("-", 1)[-1]
        return int(tail) if tail.isdigit() else None


@dataclass(frozen=True)
class AdminMember:
    name: str
    domain: str
    kind: str  # user, group, other
    sid: str | None = None
    local: bool | None = None

    @property
    def display(self) -> str:
        return f"{self.domain}\\{self.name}" if self.domain else self.name


@dataclass(frozen=True)
class AccountsInfo:
    local_users: tuple[LocalUser, ...] | None
    administrators: tuple[AdminMember, ...] | None


def policy_or_local(policy: _V | None, local: _V | None) -> _V | None:
    """A Group Policy value, when set, wins over the local setting (as Windows applies it)."""
    return policy if policy is not None else local


@dataclass(frozen=True)
class RdpInfo:
    deny_connections: int | None = None
    user_authentication: int | None = None
    policy_deny_connections: int | None = None
    policy_user_authentication: int | None = None

    @property
    def effective_deny(self) -> int | None:
        """fDenyTSConnections in force."""
        return policy_or_local(self.policy_deny_connections, self.deny_connections)

    @property
    def effective_nla(self) -> int | None:
        """UserAuthentication (network level authentication) in force."""
        return policy_or_local(self.policy_user_authentication, self.user_authentication)


@dataclass(frozen=True)
class Smb1Info:
    server_smb1: int | None = None
    client_driver_start: int | None = None
    feature_state: int | None = None  # Win32_OptionalFeature InstallState: 1 on, 2 off


@dataclass(frozen=True)
class FirewallProfile:
    name: str
    enabled: bool | None
    policy_enabled: bool | None = None

    @property
    def effective(self) -> bool | None:
        """Whether the profile is on, as in force."""
        return policy_or_local(self.policy_enabled, self.enabled)


@dataclass(frozen=True)
class BitLockerVolume:
    drive: str
    protection_status: int | None  # 0 off, 1 on, 2 unknown


@dataclass(frozen=True)
class AutoLogonInfo:
    auto_admin_logon: str | None = None
    default_user: str | None = None
    password_stored: bool | None = None


@dataclass(frozen=True)
class CollectedTerminal:
    """One terminal, as collected (or as far as a fallback source could say)."""

    host: str
    collected_at: datetime | None
    os: OsInfo
    source: str = "kenshin.terminal/1"  # or "systeminfo.csv"
    collector_version: str = ""
    ps_version: str = ""
    is_admin: bool | None = None
    ui_culture: str = ""
    domain: str | None = None
    part_of_domain: bool | None = None
    dns_host_name: str | None = None
    unreadable: tuple[Unreadable, ...] = ()
    esu: tuple[EsuLicence, ...] | None = None
    hotfixes: tuple[HotFix, ...] | None = None
    antivirus: AntivirusInfo | None = None
    usb: UsbInfo | None = None
    accounts: AccountsInfo | None = None
    rdp: RdpInfo | None = None
    smb1: Smb1Info | None = None
    firewall: tuple[FirewallProfile, ...] | None = None
    bitlocker: tuple[BitLockerVolume, ...] | None = None
    autologon: AutoLogonInfo | None = None
    sha256: str = ""

    def known_as(self, hostname: str) -> bool:
        """Whether an engagement's host name means this terminal.

        Windows' computer name (NetBIOS) is cut at 15 characters; the DNS host name is not.
        """
        wanted = hostname.strip().casefold()
        names = {self.host.casefold()}
        if self.dns_host_name:
            names.add(self.dns_host_name.casefold())
        return wanted in names or (
            len(wanted) > 15 and len(self.host) == 15 and wanted[:15] == self.host.casefold()
        )

    def why_unreadable(self, item: str) -> str:
        for entry in self.unreadable:
            if entry.item == item:
                return entry.reason
        return ""
