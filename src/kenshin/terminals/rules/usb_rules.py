"""USB storage blocking (USB閉塞): mass storage by policy or driver, and portable devices (WPD).

Windows blocks USB mass storage in one of these documented ways (Microsoft Learn:
"RemovableStorageDevices" Group Policy settings, the USBSTOR service ``Start`` value,
``StorageDevicePolicies\\WriteProtect``):

- ``HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR\\Start`` = 4: the USB storage driver
  does not load, so no USB disk can be read or written;
- the policy "All Removable Storage classes: Deny all access" (``Deny_All`` = 1);
- the policies "Removable Disks: Deny read/write access" under the removable-disk class
  ``{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}`` (``Deny_Read``/``Deny_Write`` = 1);
- ``StorageDevicePolicies\\WriteProtect`` = 1: disks can be read but not written;
- Device Installation Restrictions (``...\\Policies\\Microsoft\\Windows\\DeviceInstall\\
  Restrictions``): "Prevent installation of removable devices" (``DenyRemovableDevices``),
  "of devices not described by other policy settings" (``DenyUnspecified``), "using drivers
  that match these device setup classes" (``DenyDeviceClasses`` with the Disk drives or USB
  class) or "that match any of these device IDs" (``DenyDeviceIDs`` with a ``USBSTOR`` ID).

``USBSTOR`` ``Start`` = 4 alone is not enough from Windows 8 on: USB Attached SCSI disks
load ``UASPStor`` instead (Microsoft Learn, "USB Attached SCSI (UAS) best practices"), so
that driver must be disabled too.

Portable devices (phones, cameras over MTP — "WPD Devices" policies) are judged apart.
"""

from __future__ import annotations

from datetime import date

from kenshin.domain import VerdictStatus
from kenshin.terminals.assessment import Outcome, outcome, unreadable
from kenshin.terminals.knowledge import antivirus
from kenshin.terminals.model import CollectedTerminal, InstallRestrictions, RemovablePolicy
from kenshin.terminals.textcombine import NOT_PROVIDED
from kenshin.terminals.textinputs import REMOVABLE_AREA

MASS_STORAGE = "terminal.usb.mass_storage"
WPD = "terminal.usb.wpd"

# Device setup classes whose denial keeps a USB disk from installing (Microsoft Learn,
# "System-Defined Device Setup Classes Available to Vendors"): Disk drives, USB devices.
_STORAGE_CLASSES = frozenset(
    {"{4d36e967-e325-11ce-bfc1-08002be10318}", "{36fc9e60-c465-11cf-8056-444553540000}"}
)
_FIRST_BUILD_WITH_UAS = 9200  # Windows 8 / Server 2012 brought UASPStor


def _restriction_blocks(rules: InstallRestrictions | None) -> list[str]:
    if rules is None:
        return []
    found = []
    if rules.deny_removable_devices == 1:
        found.append("DeviceInstall Restrictions DenyRemovableDevices=1")
    if rules.deny_unspecified == 1:
        found.append("DeviceInstall Restrictions DenyUnspecified=1")
    if rules.deny_device_classes == 1:
        classes = [c for c in rules.denied_classes if c.casefold() in _STORAGE_CLASSES]
        if classes:
            found.append("DeviceInstall Restrictions DenyDeviceClasses " + ", ".join(classes))
    if rules.deny_device_ids == 1:
        ids = [i for i in rules.denied_ids if i.upper().startswith(("USBSTOR", "USB\\CLASS_08"))]
        if ids:
            found.append("DeviceInstall Restrictions DenyDeviceIDs " + ", ".join(ids))
    return found


def _rw_blocks(policy: RemovablePolicy, scope: str) -> list[str]:
    reasons = []
    if policy.deny_all == 1:
        reasons.append(f"{scope} Deny_All=1")
    if policy.disk.denies_both:
        reasons.append(f"{scope} removable disks Deny_Read=1, Deny_Write=1")
    return reasons


def _evidence(collected: CollectedTerminal) -> str:
    usb = collected.usb
    assert usb is not None
    m, u = usb.machine_policy, usb.user_policy
    return (
        f"USBSTOR Start={usb.usbstor_start}; machine Deny_All={m.deny_all} "
        f"disk Deny_Read={m.disk.deny_read} Deny_Write={m.disk.deny_write}; "
        f"user Deny_All={u.deny_all} disk Deny_Read={u.disk.deny_read} "
        f"Deny_Write={u.disk.deny_write}; WriteProtect={usb.write_protect}; "
        f"UASPStor Start={usb.uaspstor_start}; DeviceInstall Restrictions "
        + ("not collected" if usb.install_restrictions is None else "read")
        + (f"; not examined: {', '.join(usb.not_examined)}" if usb.not_examined else "")
    )


def device_control(collected: CollectedTerminal) -> str:
    """Installed USB device-control products (e.g. SKYSEA), comma separated."""
    if collected.antivirus is None:
        return ""
    patterns = antivirus().device_control_products
    return ", ".join(
        p.name
        for p in collected.antivirus.installed_products
        if any(x.pattern.search(p.name) for x in patterns)
    )


def mass_storage_rule(collected: CollectedTerminal, today: date) -> Outcome:
    usb = collected.usb
    if usb is None:
        return unreadable(MASS_STORAGE, collected, "usb")
    evidence = _evidence(collected)
    blocked = _rw_blocks(usb.machine_policy, "machine policy")
    blocked += _restriction_blocks(usb.install_restrictions)
    drivers_off = usb.usbstor_start == 4 and (
        usb.uaspstor_start == 4 or collected.os.build < _FIRST_BUILD_WITH_UAS
    )
    if drivers_off:
        blocked.insert(
            0, "USBSTOR Start=4" + (", UASPStor Start=4" if usb.uaspstor_start == 4 else "")
        )
    if blocked:
        return outcome(MASS_STORAGE, VerdictStatus.OK, "blocked", evidence, how=", ".join(blocked))
    if usb.usbstor_start == 4:
        uas = "not examined" if usb.uaspstor_start is None else f"Start={usb.uaspstor_start}"
        return outcome(MASS_STORAGE, VerdictStatus.WARNING, "usbstor_only", evidence, uas=uas)
    write_only = []
    if usb.machine_policy.disk.deny_write == 1:
        write_only.append("machine policy Deny_Write=1")
    if usb.write_protect == 1:
        write_only.append("StorageDevicePolicies WriteProtect=1")
    if write_only:
        return outcome(
            MASS_STORAGE, VerdictStatus.WARNING, "write_only", evidence, how=", ".join(write_only)
        )
    user_only = _rw_blocks(usb.user_policy, "user policy")
    if user_only:
        return outcome(
            MASS_STORAGE, VerdictStatus.WARNING, "user_only", evidence, how=", ".join(user_only)
        )
    product = device_control(collected)
    if usb.not_examined and not product:
        # Only some of the places Windows blocks USB storage were shown (text inputs).
        return outcome(
            MASS_STORAGE,
            VerdictStatus.UNKNOWN,
            "partly_examined",
            evidence,
            missing=", ".join(usb.not_examined),
        )
    if product:
        return outcome(
            MASS_STORAGE,
            VerdictStatus.WARNING,
            "third_party",
            f"{evidence}; installed: {product}",
            product=product,
        )
    return outcome(MASS_STORAGE, VerdictStatus.BAD, "open", evidence)


def wpd_rule(collected: CollectedTerminal, today: date) -> Outcome:
    usb = collected.usb
    if usb is None or REMOVABLE_AREA in usb.not_examined:
        reason = collected.why_unreadable("usb") or (
            f"{REMOVABLE_AREA} {NOT_PROVIDED}" if usb else "not collected"
        )
        return outcome(WPD, VerdictStatus.UNKNOWN, "unreadable", reason)
    machine = usb.machine_policy
    evidence = (
        f"machine Deny_All={machine.deny_all}; WPD Deny_Read={machine.wpd.deny_read} "
        f"Deny_Write={machine.wpd.deny_write}"
    )
    if machine.deny_all == 1 or machine.wpd.denies_both:
        return outcome(WPD, VerdictStatus.OK, "blocked", evidence)
    if machine.wpd.deny_read == 1 or machine.wpd.deny_write == 1:
        return outcome(WPD, VerdictStatus.WARNING, "partial", evidence)
    return outcome(WPD, VerdictStatus.WARNING, "open", evidence)
