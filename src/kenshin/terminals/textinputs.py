"""The text of Windows' built-in commands, for terminals where no script may run.

Vendors of EHR and medical-device terminals often forbid scripts; what a surveyor can get
there is the output of a few built-in commands. ``read_text_input`` recognises one file by
its content (``systeminfo`` list or CSV, ``Get-ComputerInfo``, ``Get-HotFix`` / ``wmic qfe``,
``Get-MpComputerStatus``, SecurityCenter2 ``AntiVirusProduct``, ``reg query`` of the USB keys,
``net localgroup administrators``, ``ver`` / ``winver``) and returns what it says as a
``TextReading`` (``textcombine.combine`` merges one terminal's readings). Labels and
well-known names: ``data/text_inputs.yaml``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

from kenshin.terminals.errors import TerminalError
from kenshin.terminals.knowledge import load_data
from kenshin.terminals.model import (
    AdminMember,
    DefenderStatus,
    HotFix,
    InstallRestrictions,
    PolicyPair,
    RemovablePolicy,
    SecurityCenterProduct,
)


@cache
def _knowledge() -> dict[str, Any]:
    return load_data("text_inputs.yaml")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


@cache
def _label_index() -> dict[str, str]:
    return {
        _norm(alias): meaning
        for meaning, aliases in _knowledge()["systeminfo_labels"].items()
        for alias in aliases
    }


@dataclass(frozen=True)
class UsbPart:
    """USB settings one ``reg query`` file showed; ``examined`` names the keys it covered."""

    examined: frozenset[str] = frozenset()
    usbstor_start: int | None = None
    uaspstor_start: int | None = None
    machine_policy: RemovablePolicy = field(default_factory=RemovablePolicy)
    restrictions: InstallRestrictions = field(default_factory=InstallRestrictions)


@dataclass(frozen=True)
class TextReading:
    """What one text file said about one terminal (``None``: the file did not say)."""

    kind: str
    host: str | None = None
    os: dict[str, Any] = field(default_factory=dict)
    domain: str | None = None
    hotfixes: tuple[HotFix, ...] | None = None
    defender: DefenderStatus | None = None
    security_center: tuple[SecurityCenterProduct, ...] | None = None
    usb: UsbPart | None = None
    administrators: tuple[AdminMember, ...] | None = None


# -- dates ----------------------------------------------------------------------------

_DATE = re.compile(
    r"(?P<a>\d{1,4})[/.-](?P<b>\d{1,2})[/.-](?P<c>\d{1,4})"
    r"(?:,?\s+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>AM|PM|午前|午後)?)?",
    re.IGNORECASE,
)


def text_datetime(value: str) -> datetime | None:
    """``2026/03/12 0:00:00`` (ja-JP), ``3/12/2026 12:00:00 AM`` (en-US), ``2026-03-12``."""
    found = _DATE.search(value)
    if not found:
        return None
    a, b, c = int(found["a"]), int(found["b"]), int(found["c"])
    if len(found["a"]) == 4:
        year, month, day = a, b, c
    elif a > 12:  # day-first (en-GB, de-DE)
        day, month, year = a, b, c
    else:  # month-first (en-US)
        month, day, year = a, b, c
    hour = int(found["h"] or 0)
    ampm = (found["ampm"] or "").upper()
    if ampm in ("PM", "午後") and hour < 12:
        hour += 12
    if ampm in ("AM", "午前") and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, int(found["m"] or 0), int(found["s"] or 0))
    except ValueError:
        return None


def _version_fields(text: str) -> dict[str, Any]:
    """``10.0.19045 N/A Build 19045`` or ``6.1.7601 Service Pack 1 Build 7601``."""
    found = re.search(r"(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not found:
        return {}
    fields: dict[str, Any] = {
        "version": ".".join(found.group(i) for i in (1, 2, 3)),
        "build": int(found.group(3)),
    }
    if found.group(4):
        fields["ubr"] = int(found.group(4))
    pack = re.search(r"Service Pack \d+", text)
    if pack:
        fields["service_pack"] = pack.group(0)
    return fields


def _kbs(text: str) -> tuple[HotFix, ...]:
    seen: dict[str, HotFix] = {}
    for kb in re.findall(r"KB\d{6,8}", text, re.IGNORECASE):
        seen.setdefault(kb.upper(), HotFix(kb.upper(), None))
    return tuple(seen.values())


def _hotfix_field(value: str | None) -> tuple[HotFix, ...] | None:
    """systeminfo's hotfix list: KBs, an explicit zero, or nothing to go on (None)."""
    if value is None:
        return None
    found = _kbs(value)
    if found:
        return found
    if re.match(r"\s*0\s", value):  # "0 Hotfix(s) Installed." / "0 個の..."
        return ()
    return None


# -- systeminfo -----------------------------------------------------------------------


def _systeminfo_reading(fields: dict[str, str]) -> TextReading:
    for needed in ("host", "os_name", "os_version"):
        if not fields.get(needed):
            raise TerminalError("terminals.systeminfo_incomplete")
    version = _version_fields(fields["os_version"])
    if not version:
        raise TerminalError("terminals.systeminfo_incomplete")
    caption = fields["os_name"].strip()
    configuration = fields.get("os_configuration", "").casefold()
    server = "server" in caption.casefold() and "multi-session" not in caption.casefold()
    product_type = (
        2
        if "domain controller" in configuration
        or "ドメイン コントローラー" in (fields.get("os_configuration", ""))
        else (3 if server else 1)
    )
    os: dict[str, Any] = {
        "caption": caption,
        "product_type": product_type,
        "architecture": fields.get("system_type") or None,
        "language": fields.get("locale") or None,
        "install_date": text_datetime(fields.get("install_date", "")),
        "last_boot": text_datetime(fields.get("boot_time", "")),
        **version,
    }
    return TextReading(
        kind="systeminfo",
        host=fields["host"].strip(),
        os=os,
        domain=fields.get("domain") or None,
        hotfixes=_hotfix_field(fields.get("hotfixes")),
    )


def _systeminfo_list(text: str) -> TextReading:
    """``systeminfo`` as it prints by default: ``Label:   value`` with continuation lines."""
    index = _label_index()
    fields: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[:1].isspace() and current is not None:
            fields[current] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        meaning = index.get(_norm(label)) if sep else None
        current = meaning
        if meaning is not None:
            fields[meaning] = value.strip()
    return _systeminfo_reading(fields)


def _systeminfo_csv(text: str) -> TextReading:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if len(rows) < 2 or len(rows[1]) != len(rows[0]):
        raise TerminalError("terminals.systeminfo_incomplete")
    index = _label_index()
    fields: dict[str, str] = {}
    for name, value in zip(rows[0], rows[1], strict=True):
        meaning = index.get(_norm(name))
        if meaning:
            fields[meaning] = value.strip()
    return _systeminfo_reading(fields)


# -- "Name : Value" lists (Get-ComputerInfo, Get-MpComputerStatus, Get-CimInstance) ---


def _records(text: str) -> list[dict[str, str]]:
    """PowerShell's Format-List output: blank-line separated ``Name : Value`` records."""
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                records.append(current)
            current, last = {}, None
            continue
        found = re.match(r"^(\w[\w.]*)\s*:\s?(.*)$", line)
        if found and not line[:1].isspace():
            last = found.group(1)
            current[last] = found.group(2).strip()
        elif last is not None:  # a long value wrapped onto the next line
            current[last] += line.strip()
    if current:
        records.append(current)
    return records


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().casefold()
    return True if lowered == "true" else False if lowered == "false" else None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def _computerinfo(text: str) -> TextReading:
    record: dict[str, str] = {}
    for part in _records(text):
        record.update(part)
    names = _knowledge()["computerinfo_fields"]

    def get(key: str) -> str | None:
        wanted = names[key]
        for name in wanted if isinstance(wanted, list) else [wanted]:
            if record.get(name):
                return record[name]
        return None

    version = _version_fields(get("version") or "")
    build = _int(get("build"))
    if build is not None:
        version["build"] = build
    if "build" not in version:
        raise TerminalError("terminals.text_incomplete", kind="Get-ComputerInfo")
    product = (get("product_type") or "").casefold()
    os: dict[str, Any] = {
        "caption": get("caption") or "",
        "edition_id": get("edition_id"),
        "display_version": get("display_version"),
        "release_id": get("release_id"),
        "installation_type": get("installation_type"),
        "product_type": {"workstation": 1, "domaincontroller": 2, "server": 3}.get(product),
        "architecture": get("architecture"),
        "install_date": text_datetime(get("install_date") or ""),
        "last_boot": text_datetime(get("last_boot") or ""),
        **version,
    }
    ubr = _int(get("ubr"))
    if ubr is not None:
        os["ubr"] = ubr
    return TextReading(kind="Get-ComputerInfo", host=get("host"), os=os, domain=get("domain"))


def _mpstatus(text: str) -> TextReading:
    record: dict[str, str] = {}
    for part in _records(text):
        record.update(part)
    return TextReading(
        kind="Get-MpComputerStatus",
        host=None,
        defender=DefenderStatus(
            am_product_version=record.get("AMProductVersion") or None,
            am_engine_version=record.get("AMEngineVersion") or None,
            signature_version=record.get("AntivirusSignatureVersion") or None,
            signature_last_updated=text_datetime(record.get("AntivirusSignatureLastUpdated", "")),
            signature_age_days=_int(record.get("AntivirusSignatureAge")),
            antivirus_enabled=_bool(record.get("AntivirusEnabled")),
            real_time_protection_enabled=_bool(record.get("RealTimeProtectionEnabled")),
            am_service_enabled=_bool(record.get("AMServiceEnabled")),
            tamper_protected=_bool(record.get("IsTamperProtected")),
            am_running_mode=record.get("AMRunningMode") or None,
        ),
    )


def _security_center(text: str) -> TextReading:
    from kenshin.terminals.parse import decode_product_state

    products: list[SecurityCenterProduct] = []
    host: str | None = None
    records = _records(text)
    if not any("productState" in r for r in records):
        records = _table(text)  # wmic /namespace:\\root\SecurityCenter2 ... get
    for record in records:
        lowered = {k.casefold(): v for k, v in record.items()}
        name, state = lowered.get("displayname"), _int(lowered.get("productstate"))
        if not name or state is None:
            continue
        host = host or lowered.get("pscomputername") or None
        decoded = decode_product_state(state)
        products.append(
            SecurityCenterProduct(
                name=name,
                product_state=state,
                exe_path=lowered.get("pathtosignedproductexe") or None,
                state=decoded.state,
                signatures=decoded.signatures,
            )
        )
    return TextReading(kind="SecurityCenter2", host=host, security_center=tuple(products))


def _table(text: str) -> list[dict[str, str]]:
    """A fixed-width table (wmic, Format-Table): columns start where the header words do."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    names = header.split()
    rows = []
    for line in lines[1:]:
        if set(line.strip()) <= {"-", " "}:
            continue
        cells = [
            line[start : starts[i + 1] if i + 1 < len(starts) else None].strip()
            for i, start in enumerate(starts)
        ]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


# -- Get-HotFix / wmic qfe ------------------------------------------------------------


def _hotfix_table(text: str) -> TextReading:
    """Rows with a KB number; the date on the same row (InstalledOn) when there is one."""
    fixes: dict[str, HotFix] = {}
    host: str | None = None
    lines = [line for line in text.splitlines() if line.strip()]
    header = next((line for line in lines if re.search(r"\bHotFixID\b", line)), "")
    host_column = next((n for n in ("Source", "CSName") if n in header.split()), None)
    for row in _table("\n".join(lines[lines.index(header) :])) if header else []:
        kb = next((v for v in row.values() if re.fullmatch(r"KB\d{6,8}", v, re.I)), None)
        if kb is None:
            continue
        installed = row.get("InstalledOn") or row.get("InstallDate") or ""
        moment = text_datetime(installed)
        fixes[kb.upper()] = HotFix(
            kb.upper(), moment.date() if moment else None, row.get("Description") or None
        )
        if host_column and row.get(host_column):
            host = host or row[host_column]
    for record in _records(text) if not fixes else []:  # Get-HotFix | Format-List
        kb = record.get("HotFixID", "")
        if re.fullmatch(r"KB\d{6,8}", kb, re.I):
            moment = text_datetime(record.get("InstalledOn", ""))
            fixes[kb.upper()] = HotFix(
                kb.upper(), moment.date() if moment else None, record.get("Description")
            )
            host = host or record.get("Source") or record.get("PSComputerName")
    return TextReading(kind="Get-HotFix", host=host, hotfixes=tuple(fixes.values()))


# -- reg query ------------------------------------------------------------------------

# The USB registry areas by the names a reading lists in ``UsbPart.examined`` (and the
# rules in ``UsbInfo.not_examined``).
USBSTOR_AREA = "USBSTOR"
UASPSTOR_AREA = "UASPStor"
REMOVABLE_AREA = "RemovableStorageDevices"
RESTRICTIONS_AREA = "DeviceInstall\\Restrictions"
USB_REG_AREAS = {
    "services\\usbstor": USBSTOR_AREA,
    "services\\uaspstor": UASPSTOR_AREA,
    "windows\\removablestoragedevices": REMOVABLE_AREA,
    "deviceinstall\\restrictions": RESTRICTIONS_AREA,
}
_DISK_CLASS = "{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}"


def _reg_area(key: str) -> tuple[str, str] | None:
    """Which USB area a registry path belongs to, and the rest of the path below it."""
    lowered = key.casefold()
    if not lowered.startswith(("hklm", "hkey_local_machine")):
        return None  # HKCU policies apply to one user only; they are not read from text
    for marker, area in USB_REG_AREAS.items():
        at = lowered.find(marker)
        if at >= 0:
            return area, key[at + len(marker) :].strip("\\")
    return None


def _reg_value(kind: str, data: str) -> Any:
    if kind in ("REG_DWORD", "REG_QWORD"):
        return int(data, 16) if data.lower().startswith("0x") else _int(data)
    return data


def _reg_query(text: str) -> TextReading:
    """``reg query`` output (also ``/s``), with the prompt lines when copied from a console.

    A key the console shows being queried and answered with an error ("not found") counts
    as examined and absent; keys not shown at all stay "not examined".
    """
    examined: set[str] = set()
    values: dict[tuple[str, str], dict[str, Any]] = {}
    current: tuple[str, str] | None = None
    asked: tuple[str, str] | None = None
    for line in text.splitlines():
        command = re.search(r"reg(?:\.exe)?\s+query\s+\"?([^\"\r\n]+?)\"?(?:\s+/|\s*$)", line, re.I)
        if command:
            asked = _reg_area(command.group(1).strip())
            continue
        if re.match(r"^\s*(ERROR|エラー)\s*:", line, re.I):
            if asked:
                examined.add(asked[0])
            continue
        if line.upper().startswith(("HKEY_", "HKLM\\")):
            current = _reg_area(line.strip())
            if current:
                examined.add(current[0])
                values.setdefault(current, {})
            continue
        found = re.match(r"^\s+(\S(?:.*?\S)?)\s+(REG_\w+)\s+(.*)$", line)
        if found and current:
            values[current][found.group(1).casefold()] = _reg_value(
                found.group(2).upper(), found.group(3).strip()
            )
    if not examined:
        raise TerminalError("terminals.text_incomplete", kind="reg query")

    def value(area: str, sub: str, name: str) -> Any:
        for (a, s), named in values.items():
            if a == area and s.casefold() == sub.casefold() and name.casefold() in named:
                return named[name.casefold()]
        return None

    def listed(area: str, sub: str) -> tuple[str, ...]:
        return tuple(
            str(v)
            for (a, s), named in values.items()
            if a == area and s.casefold() == sub.casefold()
            for v in named.values()
        )

    removable = REMOVABLE_AREA
    restrictions = RESTRICTIONS_AREA
    wpd = [
        (value(removable, g, "Deny_Read"), value(removable, g, "Deny_Write"))
        for g in (
            "{6AC27878-A6FA-4155-BA85-F98F491D4F33}",
            "{F33FDC04-D1AC-4E8E-9A30-19BBD4B108AE}",
        )
    ]
    usb = UsbPart(
        examined=frozenset(examined),
        usbstor_start=value(USBSTOR_AREA, "", "Start"),
        uaspstor_start=value(UASPSTOR_AREA, "", "Start"),
        machine_policy=RemovablePolicy(
            deny_all=value(removable, "", "Deny_All"),
            disk=PolicyPair(
                value(removable, _DISK_CLASS, "Deny_Read"),
                value(removable, _DISK_CLASS, "Deny_Write"),
            ),
            wpd=PolicyPair(
                max((r for r, _ in wpd if r is not None), default=None),
                max((w for _, w in wpd if w is not None), default=None),
            ),
        ),
        restrictions=InstallRestrictions(
            deny_removable_devices=value(restrictions, "", "DenyRemovableDevices"),
            deny_unspecified=value(restrictions, "", "DenyUnspecified"),
            deny_device_classes=value(restrictions, "", "DenyDeviceClasses"),
            denied_classes=listed(restrictions, "DenyDeviceClasses"),
            deny_device_ids=value(restrictions, "", "DenyDeviceIDs"),
            denied_ids=listed(restrictions, "DenyDeviceIDs"),
        ),
    )
    return TextReading(kind="reg query", usb=usb)


# -- net localgroup administrators ----------------------------------------------------


def _localgroup(text: str) -> TextReading:
    """Members are the lines between the dashed rule and the closing sentence (any language)."""
    lines = [line.rstrip() for line in text.splitlines()]
    rule = next(i for i, line in enumerate(lines) if re.fullmatch(r"-{20,}", line.strip()))
    body = [line.strip() for line in lines[rule + 1 :] if line.strip()]
    members_text = body[:-1] if body else []  # the last line: "The command completed ..."
    everyone = {_norm(k): v for k, v in _knowledge()["everyone_names"].items()}
    members = []
    for name in members_text:
        domain, _, short = name.rpartition("\\")
        members.append(
            AdminMember(name=short, domain=domain, kind="other", sid=everyone.get(_norm(name)))
        )
    return TextReading(kind="net localgroup", administrators=tuple(members))


# -- ver / winver ---------------------------------------------------------------------


def _ver(text: str) -> TextReading:
    found = re.search(r"\[(?:Version|バージョン)\s+(\d+\.\d+\.\d+(?:\.\d+)?)\]", text, re.I)
    os: dict[str, Any] = {}
    if found:
        os = _version_fields(found.group(1))
    else:  # winver: "Version 22H2 (OS Build 19045.6456)" / "バージョン 22H2 (OS ビルド 19045.6456)"
        build = re.search(r"(?:OS Build|OS ビルド)\s*(\d+)(?:\.(\d+))?", text, re.I)
        if build is None:
            raise TerminalError("terminals.text_incomplete", kind="winver")
        os = {"build": int(build.group(1))}
        if build.group(2):
            os["ubr"] = int(build.group(2))
        release = re.search(r"(?:Version|バージョン)\s+(\w+)\s*\(", text, re.I)
        if release:
            os["display_version"] = release.group(1)
    return TextReading(kind="ver", os=os)


# -- recognition ----------------------------------------------------------------------


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def read_text_input(text: str) -> TextReading | None:
    """One file's reading, or None when it is none of the kinds kenshin reads."""
    first = _first_line(text)
    labels = _label_index()
    if first.startswith('"') and any(
        _norm(cell) in labels for cell in next(csv.reader(io.StringIO(first)), [])
    ):
        return replace(_systeminfo_csv(text), kind="systeminfo.csv")
    heads = {
        labels.get(_norm(line.partition(":")[0]))
        for line in text.splitlines()
        if ":" in line and not line[:1].isspace()
    }
    if {"host", "os_name"} <= heads:
        return _systeminfo_list(text)
    if re.search(r"^\s*(WindowsBuildLabEx|CsName|OsName)\s*:", text, re.M):
        return _computerinfo(text)
    if re.search(r"^\s*(AMRunningMode|AntivirusSignatureAge|AMProductVersion)\s*:", text, re.M):
        return _mpstatus(text)
    if re.search(r"\bproductState\b", text) and re.search(r"\bdisplayName\b", text):
        return _security_center(text)
    if re.search(r"\bHotFixID\b", text):
        return _hotfix_table(text)
    if re.search(
        r"^(HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKLM|HKCU)\\", text, re.M | re.I
    ) or re.search(r"reg(?:\.exe)?\s+query", text, re.I):
        return _reg_query(text)
    if re.search(r"Microsoft Windows \[(Version|バージョン)", text) or re.search(
        r"(OS Build|OS ビルド)\s*\d", text
    ):
        return _ver(text)
    if any(re.fullmatch(r"-{20,}", line.strip()) for line in text.splitlines()):
        return _localgroup(text)
    return None
