"""One terminal from the readings of several text files (``textinputs.read_text_input``).

Each file speaks to a few sections; what no file showed stays ``None`` with the reason
"not provided", so the rules say "not examined", never "bad".
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from kenshin.terminals.errors import TerminalError
from kenshin.terminals.model import (
    OS_OPTIONAL,
    AccountsInfo,
    AntivirusInfo,
    CollectedTerminal,
    DefenderStatus,
    HotFix,
    OsInfo,
    Unreadable,
    UsbInfo,
)
from kenshin.terminals.textinputs import (
    REMOVABLE_AREA,
    RESTRICTIONS_AREA,
    UASPSTOR_AREA,
    USB_REG_AREAS,
    USBSTOR_AREA,
    TextReading,
    UsbPart,
)

SOURCE = "text"
NOT_PROVIDED = "not provided (no file of this kind was given)"

# Sections a text input can fill, and the unreadable item each stands for when missing.
_SECTIONS = ("updates", "antivirus", "usb", "administrators")
_NEVER_FROM_TEXT = ("esu", "local_users", "rdp", "smb1", "firewall", "bitlocker", "autologon")


# The registry area each ``UsbPart`` field is read from: the last file that read it wins.
_USB_AREA_OF = {
    "usbstor_start": USBSTOR_AREA,
    "uaspstor_start": UASPSTOR_AREA,
    "machine_policy": REMOVABLE_AREA,
    "restrictions": RESTRICTIONS_AREA,
}


def _merge_usb(parts: Iterable[UsbPart]) -> UsbInfo | None:
    parts = list(parts)
    if not parts:
        return None
    examined: set[str] = set()
    merged = UsbPart()
    for part in parts:
        examined |= part.examined
        seen = {f: getattr(part, f) for f, area in _USB_AREA_OF.items() if area in part.examined}
        merged = dataclasses.replace(merged, examined=frozenset(examined), **seen)
    missing = tuple(area for area in USB_REG_AREAS.values() if area not in examined)
    return UsbInfo(
        usbstor_start=merged.usbstor_start,
        machine_policy=merged.machine_policy,
        write_protect=None,
        uaspstor_start=merged.uaspstor_start,
        install_restrictions=merged.restrictions if RESTRICTIONS_AREA in examined else None,
        not_examined=missing,
    )


def combine(readings: Sequence[tuple[str, TextReading]], texts: Sequence[str]) -> CollectedTerminal:
    """One terminal from the readings of its files (``(path, reading)`` pairs)."""
    hosts = {r.host.casefold(): r.host for _, r in readings if r.host}
    if len(hosts) > 1:
        raise TerminalError("terminals.text_hosts_differ", hosts=", ".join(sorted(hosts.values())))
    os_fields: dict[str, Any] = {}
    # ver/winver is read last: the UBR it shows is the running build, whatever else says.
    for _, reading in sorted(readings, key=lambda pair: pair[1].kind == "ver"):
        os_fields.update({k: v for k, v in reading.os.items() if v is not None})
    if "build" not in os_fields:
        raise TerminalError("terminals.text_no_os")
    kinds = [r.kind for _, r in readings]

    def first(attribute: str) -> Any:
        return next(
            (getattr(r, attribute) for _, r in readings if getattr(r, attribute) is not None),
            None,
        )

    hotfixes: tuple[HotFix, ...] | None = None
    for _, reading in readings:
        if reading.hotfixes is None:
            continue
        known = {h.id: h for h in hotfixes or ()}
        for fix in reading.hotfixes:
            if fix.id not in known or known[fix.id].installed_on is None:
                known[fix.id] = fix
        hotfixes = tuple(known.values())
    defender: DefenderStatus | None = first("defender")
    security_center = first("security_center")
    antivirus = (
        AntivirusInfo(security_center=security_center, defender=defender)
        if defender is not None or security_center is not None
        else None
    )
    administrators = first("administrators")
    usb = _merge_usb(r.usb for _, r in readings if r.usb is not None)
    unread = [Unreadable(item, NOT_PROVIDED) for item in _NEVER_FROM_TEXT]
    present = {
        "updates": hotfixes is not None,
        "antivirus": antivirus is not None,
        "usb": usb is not None,
        "administrators": administrators is not None,
    }
    unread += [Unreadable(item, NOT_PROVIDED) for item in _SECTIONS if not present[item]]
    if defender is None:
        unread.append(Unreadable("defender", NOT_PROVIDED))
    if security_center is None:
        unread.append(Unreadable("security_center", NOT_PROVIDED))
    if "ubr" not in os_fields:
        unread.append(Unreadable("ubr", "not shown by the files given (ver or winver shows it)"))
    os = OsInfo(
        caption=str(os_fields.get("caption") or f"Windows (build {os_fields['build']})"),
        version=str(os_fields.get("version") or ""),
        build=int(os_fields["build"]),
        ubr=os_fields.get("ubr"),
        **{name: os_fields.get(name) for name in OS_OPTIONAL},
        install_date=os_fields.get("install_date"),
        last_boot=os_fields.get("last_boot"),
    )
    digest = hashlib.sha256("\n\0".join(texts).encode("utf-8")).hexdigest()
    kinds_text = "+".join(dict.fromkeys(kinds))
    return CollectedTerminal(
        host=next(iter(hosts.values()), ""),
        collected_at=None,
        os=os,
        source=kinds_text if len(readings) == 1 else f"{SOURCE}:{kinds_text}",
        domain=first("domain"),
        unreadable=tuple(unread),
        hotfixes=hotfixes,
        antivirus=antivirus,
        usb=usb,
        accounts=None
        if administrators is None
        else AccountsInfo(local_users=None, administrators=administrators),
        sha256=digest,
    )
