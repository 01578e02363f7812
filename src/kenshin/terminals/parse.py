"""Reading what Windows really hands us: collector JSON files and built-in commands' text.

Every file is checked before anything is believed: its size (a cap, so 50 MB of junk is
refused without being read into a parser), what kind of file it is (a JPEG renamed
``.json`` is named as a JPEG), its text encoding (UTF-16 LE with BOM as PowerShell 5.1
``Out-File`` and ``>`` write it, UTF-8 with or without BOM, CP932 from older tools), its
JSON syntax (a cut-off file is called truncated), the ``kenshin.terminal/1`` schema and
the payload checksum. The first failure raises ``TerminalError`` with a catalogue key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from kenshin.terminals.errors import TerminalError
from kenshin.terminals.knowledge import antivirus
from kenshin.terminals.model import (
    OS_OPTIONAL,
    AccountsInfo,
    AdminMember,
    AntivirusInfo,
    AutoLogonInfo,
    BitLockerVolume,
    CollectedTerminal,
    DefenderStatus,
    EsuLicence,
    FirewallProfile,
    HotFix,
    InstalledProduct,
    InstallRestrictions,
    LocalUser,
    OsInfo,
    PolicyPair,
    RdpInfo,
    RemovablePolicy,
    SecurityCenterProduct,
    Smb1Info,
    Unreadable,
    UsbInfo,
)
from kenshin.terminals.textcombine import combine
from kenshin.terminals.textinputs import TextReading, read_text_input

SCHEMA_ID = "kenshin.terminal/1"
MAX_FILE_BYTES = 4 * 1024 * 1024
"""A real collector file is tens of kilobytes; anything above this is not one."""

# Leading bytes of files people send by mistake, and the name we give them.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP/Office (xlsx, docx)"),
    (b"\xd0\xcf\x11\xe0", "Office 97-2003 (xls, doc)"),
    (b"\x1f\x8b", "gzip"),
    (b"MZ", "Windows executable"),
    (b"BM", "BMP"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7-Zip"),
)


@cache
def schema() -> dict[str, Any]:
    """The ``kenshin.terminal/1`` JSON Schema shipped in the package."""
    text = resources.files("kenshin.terminals") / "data" / "kenshin.terminal-1.schema.json"
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


@cache
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    full = schema()
    envelope = Draft202012Validator(full)
    payload = Draft202012Validator(
        {"$schema": full["$schema"], "$defs": full["$defs"], "$ref": "#/$defs/payload"}
    )
    return envelope, payload


def decode_text(data: bytes) -> str:
    """Bytes to text the way Windows files come: BOMs first, then UTF-16 guess, UTF-8, CP932."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data[3:], "utf-8")
    if data.startswith(b"\xff\xfe"):
        return _decode(data[2:], "utf-16-le")
    if data.startswith(b"\xfe\xff"):
        return _decode(data[2:], "utf-16-be")
    sample = data[:4096]
    if len(sample) >= 4:
        odd_nuls = sample[1::2].count(0)
        even_nuls = sample[0::2].count(0)
        # Mostly-ASCII text in UTF-16 has a NUL in every other byte; a few NULs on the
        # other side come from characters such as U+3000 (ideographic space).
        if odd_nuls > len(sample) // 4 and even_nuls <= odd_nuls // 10:
            return _decode(data, "utf-16-le")
        if even_nuls > len(sample) // 4 and odd_nuls <= even_nuls // 10:
            return _decode(data, "utf-16-be")
    if b"\x00" in sample:
        raise TerminalError("terminals.bad_encoding")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise TerminalError("terminals.bad_encoding") from None


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise TerminalError("terminals.bad_encoding") from None


def _sniff_foreign(data: bytes) -> None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise TerminalError("terminals.foreign_file", kind=kind)


def read_input(data: bytes) -> CollectedTerminal | TextReading:
    """A collector JSON file as a terminal, or a built-in command's text as a reading."""
    if len(data) > MAX_FILE_BYTES:
        raise TerminalError(
            "terminals.too_large", size=len(data), limit=MAX_FILE_BYTES // (1024 * 1024)
        )
    if not data.strip():
        raise TerminalError("terminals.empty")
    _sniff_foreign(data)
    text = decode_text(data).lstrip("\ufeff").strip()
    if not text:
        raise TerminalError("terminals.empty")
    if text.startswith("{"):
        return _parse_json(text)
    reading = read_text_input(text)
    if reading is None:
        raise TerminalError("terminals.not_recognised")
    return reading


def parse_collector_file(data: bytes) -> CollectedTerminal:
    """One terminal from one file: a collector JSON file or one built-in command's text.

    Raises ``TerminalError`` (with a catalogue key) for anything kenshin cannot read.
    """
    found = read_input(data)
    if isinstance(found, CollectedTerminal):
        return found
    return combine([("", found)], [decode_text(data)])


@dataclass(frozen=True)
class TerminalFiles:
    """The files that describe one terminal, and what kenshin read from them."""

    paths: tuple[str, ...]
    collected: CollectedTerminal
    raw: str


def group_terminal_files(files: Sequence[tuple[str, bytes]]) -> list[TerminalFiles]:
    """Each collector JSON file is one terminal; text files are grouped by the host they name.

    A text file that names no host (Get-MpComputerStatus, reg query, net localgroup, ver)
    belongs to the one terminal the other text files name; with several, kenshin cannot
    tell which and says so.
    """
    groups: list[TerminalFiles] = []
    text_groups: dict[str, list[tuple[str, TextReading, str]]] = {}
    anonymous: list[tuple[str, TextReading, str]] = []
    for path, data in files:
        try:
            found = read_input(data)
        except TerminalError as exc:
            raise exc.for_file(path) from None
        raw = decode_text(data)
        if isinstance(found, CollectedTerminal):
            groups.append(TerminalFiles((path,), found, raw))
        elif found.host:
            text_groups.setdefault(found.host.casefold(), []).append((path, found, raw))
        else:
            anonymous.append((path, found, raw))
    if anonymous:
        if len(text_groups) > 1:
            raise TerminalError(
                "terminals.text_no_host",
                path=anonymous[0][0],
                hosts=", ".join(sorted(g[0][1].host or "" for g in text_groups.values())),
            )
        key = next(iter(text_groups), "")
        text_groups.setdefault(key, []).extend(anonymous)
    for members in text_groups.values():
        paths = tuple(path for path, _, _ in members)
        try:
            collected = combine([(p, r) for p, r, _ in members], [raw for _, _, raw in members])
        except TerminalError as exc:
            raise exc.for_file(", ".join(paths)) from None
        groups.append(TerminalFiles(paths, collected, "\n\n".join(raw for _, _, raw in members)))
    return groups


def _json_error(text: str, exc: json.JSONDecodeError) -> TerminalError:
    """A cut-off file fails at its very end (or inside a string that never closes)."""
    at_end = exc.pos >= len(text.rstrip()) - 1
    if at_end or exc.msg.startswith("Unterminated string"):
        return TerminalError("terminals.truncated")
    return TerminalError("terminals.malformed_json", line=exc.lineno, column=exc.colno, msg=exc.msg)


def _parse_json(text: str) -> CollectedTerminal:
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Invalid control character"):
            raise _json_error(text, exc) from None
        # Copied from a console window (-Print): line breaks inserted where the console
        # wrapped. The collector never writes a raw line break inside a string, so they
        # can go; the payload checksum then proves nothing else changed.
        joined = text.replace("\r", "").replace("\n", "")
        try:
            envelope = json.loads(joined)
        except json.JSONDecodeError as again:
            raise _json_error(joined, again) from None
    if not isinstance(envelope, dict) or envelope.get("schema") != SCHEMA_ID:
        found = envelope.get("schema") if isinstance(envelope, dict) else type(envelope).__name__
        raise TerminalError("terminals.wrong_schema", found=str(found), expected=SCHEMA_ID)
    envelope_validator, payload_validator = _validators()
    _validate(envelope_validator, envelope)
    payload_text: str = envelope["payload"]
    digest = hashlib.sha256(payload_text.encode("utf-8")).hexdigest()
    if digest.lower() != str(envelope["payload_sha256"]).lower():
        raise TerminalError("terminals.checksum_mismatch", host=envelope["host"])
    try:
        payload = json.loads(payload_text)
    except json.JSONDecodeError as exc:
        raise TerminalError(
            "terminals.malformed_json", line=exc.lineno, column=exc.colno, msg=exc.msg
        ) from None
    _validate(payload_validator, payload)
    collected = _from_payload(payload, digest)
    if collected.host.casefold() != str(envelope["host"]).casefold():
        raise TerminalError("terminals.host_mismatch", outer=envelope["host"], inner=collected.host)
    return collected


def _validate(validator: Draft202012Validator, document: object) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first: ValidationError = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise TerminalError("terminals.schema_invalid", where=where, detail=first.message[:200])


# -- payload to typed values --------------------------------------------------------


@dataclass(frozen=True)
class DecodedState:
    """Security Center's productState, read as Windows administrators read it."""

    state: str  # on, off, snoozed, expired, unknown
    signatures: str  # up_to_date, out_of_date, unknown


def decode_product_state(value: int) -> DecodedState:
    """The state and signature nibbles of productState (layout: data/antivirus.yaml)."""
    knowledge = antivirus()
    state = knowledge.states.get((value >> knowledge.state_shift) & 0xF, "unknown")
    signatures = knowledge.signatures.get((value >> knowledge.signature_shift) & 0xF, "unknown")
    return DecodedState(state, signatures)


def _registered_product(raw: Mapping[str, Any]) -> SecurityCenterProduct:
    decoded = decode_product_state(raw["product_state"])
    return SecurityCenterProduct(
        name=raw["name"],
        product_state=raw["product_state"],
        exe_path=raw.get("exe_path"),
        state=decoded.state,
        signatures=decoded.signatures,
    )


def parse_datetime(value: object) -> datetime | None:
    """ISO 8601 from the collector (fractions of any length are cut to microseconds)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _date(value: object) -> date | None:
    moment = parse_datetime(value)
    return moment.date() if moment else None


def _pair(raw: Mapping[str, Any]) -> PolicyPair:
    return PolicyPair(deny_read=raw.get("deny_read"), deny_write=raw.get("deny_write"))


def _removable(raw: Mapping[str, Any]) -> RemovablePolicy:
    return RemovablePolicy(
        deny_all=raw.get("deny_all"), disk=_pair(raw["disk"]), wpd=_pair(raw["wpd"])
    )


def _restrictions(raw: Mapping[str, Any] | None) -> InstallRestrictions | None:
    """Collector 1.1 reads DeviceInstall\\Restrictions; 1.0 files have no such section."""
    if raw is None:
        return None
    return InstallRestrictions(
        deny_removable_devices=raw.get("deny_removable_devices"),
        deny_unspecified=raw.get("deny_unspecified"),
        deny_device_classes=raw.get("deny_device_classes"),
        denied_classes=tuple(raw.get("denied_classes") or ()),
        deny_device_ids=raw.get("deny_device_ids"),
        denied_ids=tuple(raw.get("denied_ids") or ()),
    )


def _tuple_or_none(items: list[Any] | None, build: Any) -> tuple[Any, ...] | None:
    if items is None:
        return None
    return tuple(build(item) for item in items)


def _from_payload(payload: Mapping[str, Any], digest: str) -> CollectedTerminal:
    collector = payload["collector"]
    host = payload["host"]
    raw_os = payload["os"]
    av = payload["antivirus"]
    defender = av["defender"]
    usb = payload["usb"]
    accounts = payload["accounts"]
    rdp = payload["rdp"]
    smb1 = payload["smb1"]
    autologon = payload["autologon"]
    # Sections the collector could not read at all keep their shape in the file (so it
    # stays valid) but mean nothing: they become None here.
    skipped = {u["item"] for u in collector["unreadable"]}
    return CollectedTerminal(
        host=host["name"],
        collected_at=parse_datetime(collector["collected_at"]),
        source=SCHEMA_ID,
        collector_version=collector["version"],
        ps_version=collector["ps_version"],
        is_admin=collector["is_admin"],
        ui_culture=collector["ui_culture"],
        domain=host.get("domain"),
        part_of_domain=host.get("part_of_domain"),
        dns_host_name=host.get("dns_host_name"),
        unreadable=tuple(Unreadable(u["item"], u["reason"]) for u in collector["unreadable"]),
        os=OsInfo(
            caption=raw_os["caption"].strip(),
            version=raw_os["version"],
            build=raw_os["build"],
            ubr=raw_os["ubr"],
            **{name: raw_os.get(name) for name in OS_OPTIONAL},
            install_date=parse_datetime(raw_os.get("install_date")),
            last_boot=parse_datetime(raw_os.get("last_boot")),
        ),
        esu=_tuple_or_none(
            payload["licensing"]["esu"],
            lambda e: EsuLicence(e["name"], e.get("license_status"), e.get("id")),
        ),
        hotfixes=_tuple_or_none(
            payload["updates"]["hotfixes"],
            lambda h: HotFix(h["id"].strip(), _date(h.get("installed_on")), h.get("description")),
        ),
        antivirus=AntivirusInfo(
            security_center=_tuple_or_none(
                av["security_center"],
                _registered_product,
            ),
            defender=None
            if defender is None
            else DefenderStatus(
                am_product_version=defender["am_product_version"],
                am_engine_version=defender["am_engine_version"],
                signature_version=defender["signature_version"],
                signature_last_updated=parse_datetime(defender["signature_last_updated"]),
                signature_age_days=defender["signature_age_days"],
                antivirus_enabled=defender["antivirus_enabled"],
                real_time_protection_enabled=defender["real_time_protection_enabled"],
                am_service_enabled=defender.get("am_service_enabled"),
                tamper_protected=defender.get("tamper_protected"),
                am_running_mode=defender.get("am_running_mode"),
            ),
            installed_products=tuple(
                InstalledProduct(p["name"], p.get("version"), p.get("publisher"))
                for p in av["installed_products"]
            ),
        ),
        usb=None
        if "usb" in skipped
        else UsbInfo(
            usbstor_start=usb["usbstor_start"],
            machine_policy=_removable(usb["machine_policy"]),
            user_policy=_removable(usb["user_policy"]),
            write_protect=usb["write_protect"],
            uaspstor_start=usb.get("uaspstor_start"),
            install_restrictions=_restrictions(usb.get("install_restrictions")),
        ),
        accounts=AccountsInfo(
            local_users=_tuple_or_none(
                accounts["local_users"],
                lambda u: LocalUser(u["name"], u["sid"], u["enabled"], u.get("password_required")),
            ),
            administrators=_tuple_or_none(
                accounts["administrators"],
                lambda m: AdminMember(m["name"], m["domain"], m["kind"], m["sid"], m.get("local")),
            ),
        ),
        rdp=None
        if "rdp" in skipped
        else RdpInfo(
            deny_connections=rdp["deny_connections"],
            user_authentication=rdp["user_authentication"],
            policy_deny_connections=rdp["policy_deny_connections"],
            policy_user_authentication=rdp["policy_user_authentication"],
        ),
        smb1=None
        if "smb1" in skipped
        else Smb1Info(
            server_smb1=smb1["server_smb1"],
            client_driver_start=smb1["client_driver_start"],
            feature_state=smb1["feature_state"],
        ),
        firewall=_tuple_or_none(
            payload["firewall"]["profiles"],
            lambda p: FirewallProfile(p["name"], p["enabled"], p.get("policy_enabled")),
        ),
        bitlocker=_tuple_or_none(
            payload["bitlocker"]["volumes"],
            lambda v: BitLockerVolume(v["drive"], v["protection_status"]),
        ),
        autologon=None
        if "autologon" in skipped
        else AutoLogonInfo(
            auto_admin_logon=autologon["auto_admin_logon"],
            default_user=autologon["default_user"],
            password_stored=autologon["password_stored"],
        ),
        sha256=digest,
    )
